// Shared by the tests: Python peers, temp dirs and bounded waits.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const PEER = fileURLToPath(new URL('./interop/mp_peer.py', import.meta.url));
export const WORKER = fileURLToPath(new URL('./fixtures/echo-worker.mjs', import.meta.url));
export const DATA_WORKER = fileURLToPath(new URL('./fixtures/data-worker.mjs', import.meta.url));

/** The Python 3.11 interpreter (`python3`) or 3.12 (pyenv), failing with what to install. */
export function python(version: '3.11' | '3.12'): string {
  let command = 'python3';
  if (version === '3.12') {
    let root: string;
    try {
      root = execFileSync('pyenv', ['root'], { encoding: 'utf8' }).trim();
    } catch {
      throw new Error('pyenv is missing: install pyenv and Python 3.12.1 (pyenv install 3.12.1)');
    }
    command = join(root, 'versions', '3.12.1', 'bin', 'python3');
  }
  let reported: string;
  try {
    reported = execFileSync(command, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      `${command} is missing: install Python ${version} (pyenv install or apt-get install python3)`,
    );
  }
  if (!reported.startsWith(`Python ${version}.`)) {
    throw new Error(`${command} is ${reported}, expected Python ${version}: install it with pyenv`);
  }
  return command;
}

/** A running mp_peer.py with its stdout as lines. */
export interface PythonPeer {
  child: ChildProcess;
  line(): Promise<string>;
  exited(): Promise<number | null>;
  kill(): void;
}

export function startPeer(interpreter: string, args: string[]): PythonPeer {
  const child = spawn(interpreter, [PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const lines: Interface = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else queue.push(line);
  });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    line: () =>
      withTimeout(
        new Promise<string>((resolve) => {
          const next = queue.shift();
          if (next !== undefined) resolve(next);
          else waiting.push(resolve);
        }),
        20_000,
        () => `no line from the Python peer; stderr: ${stderr}`,
      ),
    exited: () => withTimeout(exit, 20_000, () => `Python peer did not exit; stderr: ${stderr}`),
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what())), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'net-ipc-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The bytes mp_peer.py's pattern() produces. */
export function pattern(n: number): Buffer {
  const block = Buffer.alloc(256 * 4096);
  for (let i = 0; i < block.length; i++) block[i] = i & 0xff;
  const out = Buffer.allocUnsafe(n);
  for (let offset = 0; offset < n; offset += block.length)
    block.copy(out, offset, 0, Math.min(block.length, n - offset));
  return out;
}

/** Polls `check` every 20 ms, at most `ms`. */
export async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
