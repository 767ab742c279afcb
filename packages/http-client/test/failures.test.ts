import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  ConnectionError,
  ConnectTimeoutError,
  ReadTimeoutError,
  Session,
  TotalTimeoutError,
} from '../src/index.js';
import { rejection, startServer, type TestServer } from './helpers.js';

let srv: TestServer;
const s = new Session();

beforeAll(async () => {
  srv = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/silent': // never answers
        return;
      case '/stall-body': // headers, part of the body, then silence
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        return;
      case '/drip': {
        // A byte every 20 ms for a long time: never idle, but never done.
        res.writeHead(200, { 'content-length': '1000' });
        const timer = setInterval(() => res.write('x'), 20);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case '/reset-mid-body':
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial', () => res.socket?.destroy());
        return;
      default:
        res.end('ok');
    }
  });
});

afterAll(async () => {
  await s.close();
  await srv.close();
});

/** A TCP server that accepts and never speaks: a TLS handshake against it never completes. */
async function silentTcpServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('timeouts', () => {
  it('no response headers within timeout.headers: ERR_READ_TIMEOUT (phase headers)', async () => {
    const error = await rejection(() => s.get(`${srv.url}/silent`, { timeout: { headers: 200 } }));
    expect(error).toBeInstanceOf(ReadTimeoutError);
    expect(error.code).toBe('ERR_READ_TIMEOUT');
    expect((error as ReadTimeoutError).phase).toBe('headers');
  });

  it('a body that goes silent past timeout.body: ERR_READ_TIMEOUT (phase body)', async () => {
    const error = await rejection(() => s.get(`${srv.url}/stall-body`, { timeout: { body: 200 } }));
    expect(error.code).toBe('ERR_READ_TIMEOUT');
    expect((error as ReadTimeoutError).phase).toBe('body');
  });

  it('a number sets every per-phase timeout at once (as in requests)', async () => {
    const error = await rejection(() => s.get(`${srv.url}/silent`, { timeout: 200 }));
    expect(error.code).toBe('ERR_READ_TIMEOUT');
  });

  it('timeout.total bounds a body that never idles: ERR_TOTAL_TIMEOUT', async () => {
    const error = await rejection(() => s.get(`${srv.url}/drip`, { timeout: { total: 300 } }));
    expect(error).toBeInstanceOf(TotalTimeoutError);
    expect(error.code).toBe('ERR_TOTAL_TIMEOUT');
  });

  it('timeout.total also covers a streamed body', async () => {
    const r = await s.get(`${srv.url}/drip`, { timeout: { total: 300 }, stream: true });
    const error = await rejection(async () => {
      for await (const _ of r.body ?? []) {
        // drain
      }
    });
    expect(error.code).toBe('ERR_TOTAL_TIMEOUT');
  });

  it('a TLS handshake that never completes: ERR_CONNECT_TIMEOUT', async () => {
    const silent = await silentTcpServer();
    try {
      const error = await rejection(() =>
        s.get(`https://127.0.0.1:${silent.port}/`, { timeout: { connect: 200 } }),
      );
      expect(error).toBeInstanceOf(ConnectTimeoutError);
      expect(error.code).toBe('ERR_CONNECT_TIMEOUT');
    } finally {
      await silent.close();
    }
  });
});

describe('connection failures', () => {
  it('a refused connection: ERR_CONNECTION with the system error as cause', async () => {
    const closed = await silentTcpServer();
    await closed.close();
    const error = await rejection(() => s.get(`http://127.0.0.1:${closed.port}/`));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.code).toBe('ERR_CONNECTION');
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('a reset in the middle of the body: ERR_CONNECTION', async () => {
    const error = await rejection(() => s.get(`${srv.url}/reset-mid-body`));
    expect(error.code).toBe('ERR_CONNECTION');
  });

  it('an aborted signal: ERR_ABORTED with the reason as cause', async () => {
    const controller = new AbortController();
    const pending = s.get(`${srv.url}/silent`, { signal: controller.signal });
    controller.abort(new Error('user gave up'));
    const error = await rejection(() => pending);
    expect(error).toBeInstanceOf(AbortedError);
    expect(error.code).toBe('ERR_ABORTED');
    expect((error.cause as Error).message).toBe('user gave up');
  });

  it('a session keeps working after failures', async () => {
    expect((await s.get(`${srv.url}/`)).text).toBe('ok');
  });
});
