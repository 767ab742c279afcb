import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  createTcpServer,
  InvalidArgumentError,
  NetError,
  TCP_SERVER_DEFAULTS,
  type TcpServerOptions,
} from '../src/index.js';
import { collect, connectTo, echo, startServer } from './helpers.js';

const codeOf = (error: unknown): string | undefined => (error as NetError).code;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('options and lifecycle', () => {
  it('exports its defaults', () => {
    expect(TCP_SERVER_DEFAULTS).toMatchObject({
      maxConnections: 0,
      idleTimeout: 300_000,
      noDelay: true,
      backlog: 511,
      writeHighWaterMark: 1024 * 1024,
      closeTimeout: 5_000,
    });
  });

  it.each<[string, TcpServerOptions]>([
    ['maxConnections', { maxConnections: -1 }],
    ['idleTimeout', { idleTimeout: Number.NaN }],
    ['backlog', { backlog: 0 }],
    ['noDelay', { noDelay: 'yes' as unknown as boolean }],
    ['verify', { verify: 42 as unknown as undefined }],
    ['writeHighWaterMark', { writeHighWaterMark: 1.5 }],
  ])('refuses a bad %s with ERR_INVALID_ARGUMENT', (_name, options) => {
    let error: unknown;
    try {
      createTcpServer(echo, options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(codeOf(error)).toBe('ERR_INVALID_ARGUMENT');
  });

  it('refuses a handler that is not a function', () => {
    expect(() => createTcpServer(undefined as unknown as typeof echo)).toThrow(NetError);
  });

  it('refuses listen() twice and after close() with ERR_SERVER_STATE', async () => {
    const { server } = await startServer();
    expect(codeOf(await rejection(server.listen({ host: '127.0.0.1', port: 0 })))).toBe(
      'ERR_SERVER_STATE',
    );
    await server.close();
    expect(codeOf(await rejection(server.listen({ host: '127.0.0.1', port: 0 })))).toBe(
      'ERR_SERVER_STATE',
    );
  });

  it('reports an address in use as ERR_LISTEN with the system error as cause, and can retry', async () => {
    const { server: first, port } = await startServer();
    const second = createTcpServer(echo);
    try {
      const error = await rejection(second.listen({ host: '127.0.0.1', port }));
      expect(codeOf(error)).toBe('ERR_LISTEN');
      expect(codeOf((error as Error).cause)).toBe('EADDRINUSE');
      const retried = await second.listen({ host: '127.0.0.1', port: 0 });
      expect(retried.port).toBeGreaterThan(0);
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('rejects a bad port with ERR_INVALID_ARGUMENT', async () => {
    const server = createTcpServer(echo);
    expect(codeOf(await rejection(server.listen({ port: 70_000 })))).toBe('ERR_INVALID_ARGUMENT');
    await server.close();
  });

  it('close() before listen() resolves, and a second close() returns the same promise', async () => {
    const server = createTcpServer(echo);
    const closing = server.close();
    expect(server.close()).toBe(closing);
    await closing;
    expect(server.listening).toBe(false);
  });

  it('close() during listen() wins: listen() rejects with ERR_SERVER_STATE', async () => {
    const server = createTcpServer(echo);
    const listening = server.listen({ host: '127.0.0.1', port: 0 });
    await server.close();
    expect(codeOf(await rejection(listening))).toBe('ERR_SERVER_STATE');
    expect(server.listening).toBe(false);
  });

  it('handleConnection() after close() refuses the socket', async () => {
    const server = createTcpServer(echo);
    await server.close();
    const plain = createServer((socket) => server.handleConnection(socket));
    plain.listen(0, '127.0.0.1');
    await once(plain, 'listening');
    try {
      const client = await connectTo((plain.address() as { port: number }).port);
      expect((await collect(client)).byteLength).toBe(0);
      expect(server.stats()).toMatchObject({ accepted: 1, refused: 1, active: 0 });
    } finally {
      plain.close();
    }
  });

  it('reusePort: two servers share a port on Node 22.12+, ERR_INVALID_ARGUMENT before', async () => {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    const supported = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
    const a = createTcpServer(echo, { reusePort: true });
    const b = createTcpServer(echo, { reusePort: true });
    try {
      if (!supported) {
        expect(codeOf(await rejection(a.listen({ host: '127.0.0.1', port: 0 })))).toBe(
          'ERR_INVALID_ARGUMENT',
        );
        return;
      }
      const { port } = await a.listen({ host: '127.0.0.1', port: 0 });
      expect((await b.listen({ host: '127.0.0.1', port })).port).toBe(port);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it.each([
    [{}, [true]],
    [{ noDelay: false }, []],
  ])('noDelay %j: setNoDelay calls %j', async (options, expected) => {
    const server = createTcpServer(echo, options);
    const calls: unknown[] = [];
    const plain = createServer((socket) => {
      const original = socket.setNoDelay.bind(socket);
      socket.setNoDelay = (value?: boolean) => {
        calls.push(value);
        return original(value);
      };
      server.handleConnection(socket);
    });
    plain.listen(0, '127.0.0.1');
    await once(plain, 'listening');
    try {
      const client = await connectTo((plain.address() as { port: number }).port);
      const out = collect(client);
      client.end('x');
      expect((await out).toString()).toBe('x');
      expect(calls).toEqual(expected);
    } finally {
      plain.close();
      await server.close();
    }
  });
});
