import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  createDeadline,
  type NetError,
  TimeoutError,
  withDeadline,
} from '../src/index.js';

/** Active timer handles of this process (setTimeout/setInterval), as Node reports them. */
const activeTimers = (): number =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

/** Settles with the rejection of `promise`, failing if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<NetError> {
  try {
    await promise;
  } catch (error) {
    return error as NetError;
  }
  throw new Error('expected a rejection');
}

/** Resolves once `signal` aborts (bounded: fails after 5 s). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('signal never aborted')), 5_000);
    signal.addEventListener('abort', () => {
      clearTimeout(guard);
      resolve();
    });
  });
}

describe('createDeadline', () => {
  it('on timeout, aborts its signal with a TimeoutError and sets timedOut', async () => {
    const deadline = createDeadline({ timeout: 20 });
    expect(deadline.timedOut).toBe(false);
    expect(deadline.remaining()).toBeGreaterThan(0);
    await aborted(deadline.signal);
    expect(deadline.timedOut).toBe(true);
    expect(deadline.remaining()).toBe(0);
    const reason = deadline.signal.reason as TimeoutError;
    expect(reason).toBeInstanceOf(TimeoutError);
    expect(reason.code).toBe('ERR_TIMEOUT');
    expect(reason.timeout).toBe(20);
    deadline.dispose();
  });

  it('uses timeoutError for the reason when given', async () => {
    const custom = new Error('custom');
    const deadline = createDeadline({ timeout: 10, timeoutError: () => custom });
    await aborted(deadline.signal);
    expect(deadline.signal.reason).toBe(custom);
    expect(deadline.timedOut).toBe(true);
  });

  it("the caller's abort aborts its signal with the caller's reason, not as a timeout", async () => {
    const caller = new AbortController();
    const deadline = createDeadline({ timeout: 60_000, signal: caller.signal });
    const reason = new Error('user pressed cancel');
    caller.abort(reason);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(reason);
    expect(deadline.timedOut).toBe(false);
    deadline.dispose();
  });

  it('an already-aborted signal gives an already-aborted deadline and starts no timer', () => {
    const before = activeTimers();
    const deadline = createDeadline({ timeout: 60_000, signal: AbortSignal.abort('early') });
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe('early');
    expect(activeTimers()).toBe(before);
    deadline.dispose();
  });

  it('timeout 0 or undefined means no timeout and no timer', () => {
    const before = activeTimers();
    for (const timeout of [0, undefined]) {
      const deadline = createDeadline({ timeout });
      expect(deadline.remaining()).toBe(Number.POSITIVE_INFINITY);
      expect(activeTimers()).toBe(before);
      deadline.dispose();
    }
  });

  it('dispose() clears the timer (no active timer handle is left)', () => {
    const before = activeTimers();
    const deadline = createDeadline({ timeout: 60_000 });
    expect(activeTimers()).toBe(before + 1);
    deadline.dispose();
    expect(activeTimers()).toBe(before);
    expect(deadline.signal.aborted).toBe(false);
  });

  it("dispose() lets go of the caller's signal: a later abort does not reach the deadline", () => {
    const caller = new AbortController();
    const deadline = createDeadline({ timeout: 60_000, signal: caller.signal });
    deadline.dispose();
    caller.abort();
    expect(deadline.signal.aborted).toBe(false);
  });

  it('a process holding only a disposed deadline exits at once (child process)', () => {
    const core = new URL('../src/index.ts', import.meta.url).pathname;
    // The child runs this package's source (not a possibly stale dist/): each module is
    // transpiled to CommonJS with TypeScript on load, which core's three files allow.
    const script = `
      const ts = require('typescript');
      const fs = require('node:fs');
      const path = require('node:path');
      const dir = path.dirname(${JSON.stringify(core)});
      const mods = {};
      const load = (name) => {
        const file = path.join(dir, name.replace(/^\\.\\//, '').replace(/\\.js$/, '.ts'));
        if (mods[file]) return mods[file].exports;
        const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
        }).outputText;
        const module = { exports: {} };
        mods[file] = module;
        new Function('require', 'module', 'exports', out)(
          (n) => (n.startsWith('.') ? load(n) : require(n)), module, module.exports);
        return module.exports;
      };
      const { createDeadline } = load('./index.js');
      const started = Date.now();
      const deadline = createDeadline({ timeout: 60000 });
      deadline.dispose();
      process.on('exit', () => console.log('exited after', Date.now() - started, 'ms'));
    `;
    const child = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      timeout: 20_000, // far below the deadline's 60 s: only a cleared timer lets it exit in time
      cwd: new URL('../', import.meta.url).pathname,
    });
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout).toContain('exited after');
  });

  it('refuses a bad timeout or signal with ERR_INVALID_ARGUMENT', () => {
    for (const options of [
      { timeout: -1 },
      { timeout: 2 ** 31 },
      { timeout: Number.NaN },
      { signal: 'nope' as unknown as AbortSignal },
    ]) {
      expect(() => createDeadline(options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
    expect(() => createDeadline({ timeout: 2 ** 31 - 1 }).dispose()).not.toThrow();
  });
});

describe('withDeadline', () => {
  it('resolves with the result and leaves no timer behind', async () => {
    const before = activeTimers();
    const result = await withDeadline(
      async (signal) => {
        expect(signal.aborted).toBe(false);
        return 'done';
      },
      { timeout: 60_000 },
    );
    expect(result).toBe('done');
    expect(activeTimers()).toBe(before);
  });

  it('rejects with a TimeoutError when the timeout passes first', async () => {
    const error = await rejectionOf(
      withDeadline((signal) => sleep(5_000, 'late', { signal }), { timeout: 20 }),
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.code).toBe('ERR_TIMEOUT');
  });

  it('an operation that ignores its signal still settles at the deadline', async () => {
    const before = activeTimers();
    let release: () => void = () => undefined;
    const ignoring = new Promise<string>((resolve) => {
      release = () => resolve('too late');
    });
    const error = await rejectionOf(withDeadline(() => ignoring, { timeout: 20 }));
    expect(error.code).toBe('ERR_TIMEOUT');
    expect(activeTimers()).toBe(before);
    release();
  });

  it("rejects with AbortedError (cause: the caller's reason) when the caller aborts", async () => {
    const caller = new AbortController();
    const reason = new Error('shutting down');
    const pending = withDeadline(() => new Promise<never>(() => undefined), {
      timeout: 60_000,
      signal: caller.signal,
    });
    caller.abort(reason);
    const error = await rejectionOf(pending);
    expect(error).toBeInstanceOf(AbortedError);
    expect(error.code).toBe('ERR_ABORTED');
    expect(error.cause).toBe(reason);
  });

  it('an already-aborted signal rejects with ERR_ABORTED without running the operation', async () => {
    let ran = false;
    const error = await rejectionOf(
      withDeadline(
        async () => {
          ran = true;
        },
        { signal: AbortSignal.abort('before') },
      ),
    );
    expect(error.code).toBe('ERR_ABORTED');
    expect(error.cause).toBe('before');
    expect(ran).toBe(false);
  });

  it("passes the operation's own error through when no deadline fired", async () => {
    const own = new Error('own failure');
    const error = await rejectionOf(withDeadline(() => Promise.reject(own), { timeout: 60_000 }));
    expect(error).toBe(own);
  });

  it('an operation that throws synchronously rejects (and clears the timer)', async () => {
    const before = activeTimers();
    const own = new Error('sync');
    const error = await rejectionOf(
      withDeadline(
        () => {
          throw own;
        },
        { timeout: 60_000 },
      ),
    );
    expect(error).toBe(own);
    expect(activeTimers()).toBe(before);
  });
});
