import type { Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Session } from '../src/index.js';
import { rejection, startServer, type TestServer } from './helpers.js';

let srv: TestServer;
let hits = new Map<string, number>();
const requestsPerSocket = new WeakMap<Socket, number>();
let resetSecondRequest = false;
const fast = { backoff: 1, maxBackoff: 5 };

beforeAll(async () => {
  srv = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const n = (hits.get(url.pathname) ?? 0) + 1;
    hits.set(url.pathname, n);
    const socket = req.socket;
    const onSocket = (requestsPerSocket.get(socket) ?? 0) + 1;
    requestsPerSocket.set(socket, onSocket);
    switch (url.pathname) {
      case '/flaky': // 503 twice, then 200
        if (n <= 2) {
          res.writeHead(503, { 'retry-after': '0' });
          res.end('busy');
        } else res.end('finally');
        return;
      case '/always-503':
        res.writeHead(503);
        res.end('down');
        return;
      case '/retry-later':
        res.writeHead(429, { 'retry-after': '3600' });
        res.end('come back in an hour');
        return;
      case '/keepalive':
        // The second request on the first connection finds the socket reset, as when a
        // server closes an idle keep-alive connection just as the client reuses it.
        if (resetSecondRequest && onSocket === 2) {
          resetSecondRequest = false;
          socket.destroy();
          return;
        }
        res.end(`ok ${n}`);
        return;
      default:
        res.end('ok');
    }
  });
});

beforeEach(() => {
  hits = new Map();
});

afterAll(async () => {
  await srv.close();
});

describe('retries (opt-in)', () => {
  it('are off by default: the first 503 is returned', async () => {
    const s = new Session();
    try {
      const r = await s.get(`${srv.url}/flaky`);
      expect(r.statusCode).toBe(503);
      expect(hits.get('/flaky')).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('retry idempotent requests on 503 with Retry-After until they succeed', async () => {
    const s = new Session({ retries: { total: 3, ...fast } });
    try {
      const r = await s.get(`${srv.url}/flaky`);
      expect(r.statusCode).toBe(200);
      expect(r.text).toBe('finally');
      expect(hits.get('/flaky')).toBe(3);
    } finally {
      await s.close();
    }
  });

  it('return the last response when retries run out', async () => {
    const s = new Session({ retries: { total: 2, ...fast } });
    try {
      const r = await s.get(`${srv.url}/always-503`);
      expect(r.statusCode).toBe(503);
      expect(hits.get('/always-503')).toBe(3);
    } finally {
      await s.close();
    }
  });

  it('never retry POST', async () => {
    const s = new Session({ retries: { total: 3, ...fast } });
    try {
      const r = await s.post(`${srv.url}/flaky`, { json: {} });
      expect(r.statusCode).toBe(503);
      expect(hits.get('/flaky')).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('give up at once when Retry-After is longer than maxRetryAfter', async () => {
    const s = new Session({ retries: { total: 3, ...fast, maxRetryAfter: 1000 } });
    try {
      const r = await s.get(`${srv.url}/retry-later`);
      expect(r.statusCode).toBe(429);
      expect(hits.get('/retry-later')).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('retry refused connections for idempotent methods, then fail with ERR_CONNECTION', async () => {
    const dead = await startServer(() => undefined);
    const url = dead.url;
    await dead.close();
    const s = new Session({ retries: { total: 2, ...fast } });
    try {
      const error = await rejection(() => s.get(`${url}/`));
      expect(error.code).toBe('ERR_CONNECTION');
    } finally {
      await s.close();
    }
  });
});

describe('keep-alive', () => {
  it('HEAD keeps the connection alive (undici would close it)', async () => {
    const s = new Session({ connections: 1 });
    try {
      const before = srv.connections();
      for (let i = 0; i < 3; i++) expect((await s.head(`${srv.url}/`)).statusCode).toBe(200);
      await s.get(`${srv.url}/`);
      expect(srv.connections() - before).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('an idempotent request on a reused connection that gets reset is sent once more', async () => {
    const s = new Session({ connections: 1 });
    try {
      expect((await s.get(`${srv.url}/keepalive`)).text).toBe('ok 1');
      resetSecondRequest = true;
      const before = srv.connections();
      const r = await s.get(`${srv.url}/keepalive`);
      expect(r.text).toBe('ok 3');
      expect(srv.connections() - before).toBe(1); // the retry used a fresh connection
    } finally {
      await s.close();
    }
  });

  it('a POST on a reset connection is not resent: ERR_CONNECTION', async () => {
    const s = new Session({ connections: 1 });
    try {
      await s.get(`${srv.url}/keepalive`);
      resetSecondRequest = true;
      const error = await rejection(() => s.post(`${srv.url}/keepalive`, { data: 'x' }));
      expect(error.code).toBe('ERR_CONNECTION');
      expect(hits.get('/keepalive')).toBe(2);
    } finally {
      resetSecondRequest = false;
      await s.close();
    }
  });
});
