import {
  AbortedError as CoreAbortedError,
  ClientClosedError as CoreClientClosedError,
  InvalidArgumentError,
  MAX_TIMER_MS,
} from '@net/core';
import { thrown } from '@net/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, InvalidOptionError, InvalidUrlError, Session } from '../src/index.js';
import { rejection, startServer, type TestServer } from './helpers.js';

let srv: TestServer;
const s = new Session();

beforeAll(async () => {
  srv = await startServer((req, res) => {
    if (req.url === '/silent') return; // never answers
    res.end('ok');
  });
});

afterAll(async () => {
  await s.close();
  await srv.close();
});

describe('options: core validators, undefined means the default', () => {
  it('Session options set to undefined take their defaults', async () => {
    const session = new Session({
      timeout: undefined,
      retries: undefined,
      maxRedirects: undefined,
      maxResponseSize: undefined,
      connections: undefined,
      keepAliveTimeout: undefined,
      trustEnv: undefined,
      proxy: undefined,
      baseUrl: undefined,
    });
    try {
      expect(
        (await session.get(`${srv.url}/`, { timeout: undefined, signal: undefined })).text,
      ).toBe('ok');
    } finally {
      await session.close();
    }
  });

  it('every timer option accepts 2^31-1 ms and refuses 2^31 with ERR_INVALID_ARGUMENT', () => {
    const timers = [
      (v: number) => ({ timeout: v }),
      (v: number) => ({ timeout: { connect: v } }),
      (v: number) => ({ timeout: { headers: v } }),
      (v: number) => ({ timeout: { body: v } }),
      (v: number) => ({ timeout: { total: v } }),
      (v: number) => ({ keepAliveTimeout: v }),
      (v: number) => ({ retries: { backoff: v } }),
      (v: number) => ({ retries: { maxBackoff: v } }),
      (v: number) => ({ retries: { maxRetryAfter: v } }),
    ];
    for (const make of timers) {
      void new Session(make(MAX_TIMER_MS)).close();
      void new Session(make(0)).close();
      const error = thrown(() => new Session(make(MAX_TIMER_MS + 1)));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
      expect(thrown(() => new Session(make(-1))).code).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('a per-request timeout over the ceiling is refused before anything is sent', async () => {
    const before = srv.connections();
    const error = await rejection(() => s.get(`${srv.url}/`, { timeout: { total: 2 ** 31 } }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(srv.connections()).toBe(before);
  });

  it('counts accept 0 and refuse -1 and fractions; InvalidOptionError is InvalidArgumentError', () => {
    for (const name of ['maxRedirects', 'maxResponseSize', 'connections'] as const) {
      void new Session({ [name]: 0 }).close();
      const error = thrown(() => new Session({ [name]: -1 }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
      expect(thrown(() => new Session({ [name]: 1.5 })).code).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(new InvalidOptionError('x')).toBeInstanceOf(InvalidArgumentError);
  });

  it('null Session options and a signal that is not an AbortSignal are refused', async () => {
    expect(thrown(() => new Session(null as never)).code).toBe('ERR_INVALID_ARGUMENT');
    const error = await rejection(() => s.get(`${srv.url}/`, { signal: {} as AbortSignal }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('timeout.total joined with the caller signal (core deadline)', () => {
  it("the caller's abort before the total timeout: ERR_ABORTED, core's AbortedError", async () => {
    const controller = new AbortController();
    const pending = s.get(`${srv.url}/silent`, {
      signal: controller.signal,
      timeout: { total: 60_000 },
    });
    setTimeout(() => controller.abort(new Error('user gave up')), 20);
    const error = await rejection(() => pending);
    expect(error).toBeInstanceOf(AbortedError);
    expect(error).toBeInstanceOf(CoreAbortedError);
    expect(error.code).toBe('ERR_ABORTED');
    expect((error.cause as Error).message).toBe('user gave up');
  });

  it('the total timeout before the caller aborts: ERR_TOTAL_TIMEOUT', async () => {
    const controller = new AbortController();
    const error = await rejection(() =>
      s.get(`${srv.url}/silent`, { signal: controller.signal, timeout: { total: 50 } }),
    );
    expect(error.code).toBe('ERR_TOTAL_TIMEOUT');
    controller.abort(); // after the request: nothing left listening, nothing thrown
  });

  it('an already-aborted signal with a total timeout: ERR_ABORTED at once', async () => {
    const error = await rejection(() =>
      s.get(`${srv.url}/`, { signal: AbortSignal.abort('early'), timeout: { total: 60_000 } }),
    );
    expect(error.code).toBe('ERR_ABORTED');
    expect(error.cause).toBe('early');
  });
});

describe('codes', () => {
  it("a URL that cannot be parsed is ERR_BAD_URL (not Node's ERR_INVALID_URL, kept in cause)", async () => {
    const error = await rejection(() => s.get('http://exa mple.com/'));
    expect(error).toBeInstanceOf(InvalidUrlError);
    expect(error.code).toBe('ERR_BAD_URL');
    expect((error.cause as { code?: string }).code).toBe('ERR_INVALID_URL');
  });

  it("a closed Session is core's ClientClosedError", async () => {
    const session = new Session();
    await session.close();
    const error = await rejection(() => session.get(`${srv.url}/`));
    expect(error).toBeInstanceOf(CoreClientClosedError);
    expect(error.code).toBe('ERR_CLIENT_CLOSED');
  });
});
