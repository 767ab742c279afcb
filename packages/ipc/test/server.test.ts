// createIpcServer() and listen() on @net/tcp-server's connection lifecycle, through the public
// API: limits at their boundaries, silent and non-reading peers, the first-phase deadline,
// close() during traffic, sendTimeout on connect()-ed connections.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError } from '@net/core';
import { answerChallenge, deliverChallenge } from '@net/hmac-auth';
import { holdSilentClients, openFds } from '@net/test-peers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Connection,
  connect,
  createIpcServer,
  IPC_DEFAULTS,
  IPC_SERVER_DEFAULTS,
  type IpcHandler,
  type IpcServer,
  type IpcServerOptions,
  listen,
  SendTimeoutError,
} from '../src/index.js';
import { waitFor, withTimeout } from './helpers.js';

const authkey = randomBytes(32);
const host = '127.0.0.1';
const KiB = 1024;
const MiB = 1024 * KiB;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track<T extends { destroy(): unknown }>(value: T): T {
  cleanups.push(() => value.destroy());
  return value;
}

async function start(
  handler: IpcHandler,
  options: Partial<IpcServerOptions> = {},
): Promise<{ server: IpcServer; port: number }> {
  const server = createIpcServer(handler, { host, port: 0, authkey, ...options });
  cleanups.push(() => server.close({ timeout: 500 }));
  const address = await server.listen();
  return { server, port: (address as { port: number }).port };
}

/** Echoes messages until the peer closes (the server treats that close as a normal end). */
const echo: IpcHandler = async (conn) => {
  for (;;) await conn.sendBytes(await conn.recvBytes());
};

async function rawClient(port: number): Promise<Socket> {
  const socket = track(netConnect({ host, port }));
  socket.on('error', () => undefined);
  await withTimeout(once(socket, 'connect'), 5_000, () => 'no TCP connect');
  return socket;
}

describe('the connection lifecycle of createIpcServer', () => {
  it('a flood of silent connections over maxConnections: bounded fds, refused at once, closed at the deadline, then a real client is served', {
    timeout: 40_000,
  }, async () => {
    const maxConnections = 20;
    const handshakeTimeout = 400;
    const failures: string[] = [];
    const { server, port } = await start(echo, {
      maxConnections,
      handshakeTimeout,
      onAuthFailure: (error) => failures.push(error.code),
    });
    const report = await holdSilentClients(port, 200, {
      holdMs: 5_000,
      cleanup: (kill) => cleanups.push(kill),
      active: () => server.stats().active,
    });
    const { peakFds, peakActive } = report;

    expect(report.opened).toBe(200);
    expect(report.closedByServer).toBe(200); // every silent client was let go by the server
    expect(peakActive).toBeLessThanOrEqual(maxConnections);
    expect(peakFds).toBeLessThanOrEqual(maxConnections + 15);
    const stats = server.stats();
    expect(stats.accepted).toBe(200);
    expect(stats.refused + stats.timeouts).toBe(200);
    expect(stats.timeouts).toBeGreaterThanOrEqual(maxConnections);
    expect(stats).toMatchObject({ authenticated: 0, handlerErrors: 0, handshakeFailures: 0 });
    // Timed-out handshakes are authentication failures too, reported as ERR_AUTH_TIMEOUT.
    expect(stats.authFailures).toBe(stats.timeouts);
    expect(new Set(failures)).toEqual(new Set(['ERR_AUTH_TIMEOUT']));
    // The held ones were closed at the deadline, not before; the refused ones at once.
    const atDeadline = report.results.filter((r) => r.after >= handshakeTimeout - 50);
    expect(atDeadline.length).toBe(stats.timeouts);
    await waitFor(() => server.stats().active === 0, 2_000, 'every connection closed');

    const client = track(await connect({ host, port, authkey }));
    await client.sendBytes(Buffer.from('after the flood'));
    expect(Buffer.from(await client.recvBytes()).toString()).toBe('after the flood');
  });

  it('maxConnections at its boundary: exactly the limit is served, one more is refused at accept', async () => {
    const { server, port } = await start(echo, { maxConnections: 3 });
    const clients = await Promise.all(
      Array.from({ length: 3 }, async () => track(await connect({ host, port, authkey }))),
    );
    for (const [i, client] of clients.entries()) {
      await client.send(i);
      expect(await client.recv()).toBe(i);
    }
    // The 4th is closed as soon as it is accepted: its handshake cannot even start.
    await expect(connect({ host, port, authkey })).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_AUTH_/),
    });
    expect(server.stats()).toMatchObject({ accepted: 4, refused: 1, active: 3, authenticated: 3 });
    clients[0]?.close();
    await waitFor(() => server.stats().active === 2, 5_000, 'the close to be seen');
    const again = track(await connect({ host, port, authkey }));
    await again.send('again');
    expect(await again.recv()).toBe('again');
    expect(server.stats()).toMatchObject({ refused: 1, authenticated: 4 });
  });

  it('a peer that never reads while we send: closed after idleTimeout, the pending send rejects, memory bounded', async () => {
    const writeHighWaterMark = 256 * KiB;
    const body = Buffer.alloc(64 * KiB, 7);
    let sendError: unknown;
    let sent = 0;
    let peakQueued = 0;
    const { server, port } = await start(
      async (conn) => {
        try {
          for (;;) {
            const sending = conn.sendBytes(body);
            peakQueued = Math.max(peakQueued, conn.socket.writableLength);
            await sending;
            sent++;
          }
        } catch (error) {
          sendError = error;
          throw error;
        }
      },
      { idleTimeout: 500, writeHighWaterMark, sendTimeout: 0 },
    );
    // A real authenticated client that never calls recv(): its reader takes a little, then stops.
    track(await connect({ host, port, authkey }));
    await waitFor(() => sendError !== undefined, 10_000, 'the stuck send to fail');
    expect(sendError).toMatchObject({
      code: 'ERR_CONNECTION_CLOSED',
      cause: { code: 'ERR_IDLE_TIMEOUT' },
    });
    await waitFor(() => server.stats().active === 0, 2_000, 'the connection closed');
    // Closed by the idle timer; the failed send is a consequence, not a handler bug.
    expect(server.stats()).toMatchObject({ timeouts: 1, handlerErrors: 0 });
    // At most one message over the high-water mark was ever queued in our process...
    expect(peakQueued).toBeGreaterThan(writeHighWaterMark);
    expect(peakQueued).toBeLessThanOrEqual(writeHighWaterMark + body.byteLength + 4);
    // ...and what left it is bounded by kernel buffers and the client's read-ahead.
    expect(sent * body.byteLength).toBeLessThan(64 * MiB);
  });

  it('close() during traffic returns within its timeout, cuts the exchanges, leaks no handles', async () => {
    const baseline = openFds();
    const { server, port } = await start(echo);
    const clients = await Promise.all(
      Array.from({ length: 4 }, async () => track(await connect({ host, port, authkey }))),
    );
    const payload = randomBytes(4 * KiB);
    const loops = clients.map(async (client) => {
      let exchanges = 0;
      try {
        for (let i = 0; i < 1_000_000; i++) {
          await client.sendBytes(payload);
          expect(Buffer.compare(Buffer.from(await client.recvBytes()), payload)).toBe(0);
          exchanges++;
        }
        return { exchanges, code: 'none' };
      } catch (error) {
        return { exchanges, code: (error as { code?: string }).code };
      }
    });
    await waitFor(() => server.stats().bytesIn > 400 * KiB, 10_000, 'traffic');
    const timeout = 400;
    const started = performance.now();
    await server.close({ timeout });
    const elapsed = performance.now() - started;
    // The handlers ignore the shutdown signal, so close() waits its timeout, then cuts.
    expect(elapsed).toBeGreaterThanOrEqual(timeout - 20);
    expect(elapsed).toBeLessThan(timeout + 3_000);
    const results = await withTimeout(Promise.all(loops), 5_000, () => 'clients still running');
    for (const result of results) {
      expect(result.exchanges).toBeGreaterThan(0);
      // Cut between messages, inside one, or by a reset (unread data at our destroy).
      expect(['ERR_CONNECTION_CLOSED', 'ERR_STREAM_EOF', 'ERR_STREAM_ERROR']).toContain(
        result.code,
      );
    }
    expect(server.stats()).toMatchObject({ active: 0, handlerErrors: 0 });
    expect(server.listening).toBe(false);
    for (const client of clients) client.destroy();
    await waitFor(() => openFds() <= baseline, 2_000, 'every descriptor closed');
  });

  it('close() ends early when handlers stop on their signal between messages', async () => {
    const { server, port } = await start(async (conn, { signal }) => {
      for (;;) await conn.sendBytes(await conn.recvBytes({ signal }));
    });
    const client = track(await connect({ host, port, authkey }));
    await client.send('one');
    expect(await client.recv()).toBe('one');
    const started = performance.now();
    await server.close({ timeout: 10_000 });
    expect(performance.now() - started).toBeLessThan(5_000);
    await expect(client.recv()).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
    expect(server.stats()).toMatchObject({ active: 0, handlerErrors: 0 });
  });

  it('the handshake deadline at its boundary: a peer that finishes just inside it is served, a silent one is closed at it', async () => {
    const handshakeTimeout = 800;
    const failures: string[] = [];
    const errors: [string, string][] = [];
    const { server, port } = await start(echo, {
      handshakeTimeout,
      onAuthFailure: (error) => failures.push(error.code),
      onError: (error, context) => errors.push([context.phase, (error as { code: string }).code]),
    });
    const slowSocket = await rawClient(port);
    const silent = await rawClient(port);
    silent.resume(); // reads (and drops) the challenge, so it sees the server's close
    const openedAt = performance.now();
    const silentClosed = once(silent, 'close').then(() => performance.now() - openedAt);
    await sleep(handshakeTimeout - 300);
    // Client order (answer the server's challenge, then deliver ours), late but inside.
    const slow = track(new Connection(slowSocket));
    await answerChallenge(slow, authkey);
    await deliverChallenge(slow, authkey);
    const closedAfter = await withTimeout(silentClosed, handshakeTimeout + 3_000, () => 'open');
    expect(closedAfter).toBeGreaterThanOrEqual(handshakeTimeout - 50);
    await sleep(200); // well past the deadline: the authenticated one is still served
    await slow.sendBytes(Buffer.from('inside'));
    expect(Buffer.from(await slow.recvBytes()).toString()).toBe('inside');
    expect(server.stats()).toMatchObject({
      timeouts: 1,
      authenticated: 1,
      authFailures: 1,
      handshakeFailures: 0,
    });
    expect(failures).toEqual(['ERR_AUTH_TIMEOUT']);
    expect(errors).toEqual([['handshake', 'ERR_HANDSHAKE_TIMEOUT']]);
  });

  it('reports handler errors (phase handler) and wrong keys (phase handshake); a peer closing between messages is no error', async () => {
    const errors: [string, string][] = [];
    const { server, port } = await start(
      async (conn) => {
        const text = Buffer.from(await conn.recvBytes()).toString();
        if (text === 'boom') throw new TypeError('handler bug');
        await echo(conn, {} as never);
      },
      {
        onError: (error, context) =>
          errors.push([context.phase, (error as Error).name ?? String(error)]),
      },
    );
    const ok = track(await connect({ host, port, authkey }));
    await ok.sendBytes(Buffer.from('hi'));
    await ok.sendBytes(Buffer.from('echo'));
    expect(Buffer.from(await ok.recvBytes()).toString()).toBe('echo');
    ok.close();
    const bad = track(await connect({ host, port, authkey }));
    await bad.sendBytes(Buffer.from('boom'));
    await expect(connect({ host, port, authkey: randomBytes(32) })).rejects.toMatchObject({
      code: 'ERR_AUTH_REJECTED',
    });
    await waitFor(() => errors.length === 2, 5_000, 'two reports');
    expect(errors.sort()).toEqual([
      ['handler', 'TypeError'],
      ['handshake', 'AuthenticationFailedError'],
    ]);
    await waitFor(() => server.stats().active === 0, 5_000, 'all closed');
    expect(server.stats()).toMatchObject({
      handlerErrors: 1,
      handshakeFailures: 1,
      authFailures: 1,
    });
  });

  it('without onError, handler errors go to stderr as "@net/ipc: handler error", failed handshakes are only counted', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    cleanups.push(() => spy.mockRestore());
    const { server, port } = await start(async () => {
      throw Object.assign(new Error('broken'), { code: 'E_APP' });
    });
    track(await connect({ host, port, authkey }));
    await expect(connect({ host, port, authkey: randomBytes(32) })).rejects.toMatchObject({
      code: 'ERR_AUTH_REJECTED',
    });
    await waitFor(() => server.stats().handlerErrors === 1, 5_000, 'the handler error');
    await waitFor(() => server.stats().authFailures === 1, 5_000, 'the auth failure');
    const lines = spy.mock.calls.map((call) => String(call[0]));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^@net\/ipc: handler error \(client 127\.0\.0\.1:\d+\): E_APP: broken$/,
    );
  });

  it('options: undefined means the default, timers are capped at 2^31-1 ms, bad values are ERR_INVALID_ARGUMENT', async () => {
    expect(IPC_SERVER_DEFAULTS).toMatchObject({
      maxConnections: 0,
      idleTimeout: 3_600_000,
      handshakeTimeout: 10_000,
      closeTimeout: 5_000,
    });
    expect(IPC_DEFAULTS.sendTimeout).toBe(300_000);
    const base = { host, port: 0, authkey };
    const server = createIpcServer(echo, {
      ...base,
      maxConnections: undefined,
      idleTimeout: undefined,
      handshakeTimeout: undefined,
      closeTimeout: undefined,
      sendTimeout: undefined,
      backlog: undefined,
    });
    await server.listen();
    cleanups.push(() => server.close({ timeout: 0 }));
    const { port } = server.address as { port: number };
    const client = track(await connect({ host, port, authkey, sendTimeout: undefined }));
    await client.send('defaults');
    expect(await client.recv()).toBe('defaults');
    expect(() => createIpcServer(echo, { ...base, idleTimeout: 2 ** 31 - 1 })).not.toThrow();
    for (const name of ['idleTimeout', 'handshakeTimeout', 'closeTimeout', 'sendTimeout']) {
      expect(() => createIpcServer(echo, { ...base, [name]: 2 ** 31 })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
    expect(() => createIpcServer(echo, { ...base, maxConnections: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => createIpcServer(echo, { host, port: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_AUTHKEY_REQUIRED' }),
    );
    await expect(connect({ host, port, authkey, sendTimeout: 2 ** 31 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(server.listen()).rejects.toMatchObject({ code: 'ERR_SERVER_STATE' });
  });
});

describe('listen() on the lifecycle', () => {
  it('connections authenticated but not yet accepted count against maxConnections', async () => {
    const listener = await listen({ host, port: 0, authkey, maxConnections: 2 });
    cleanups.push(() => listener.close({ timeout: 0 }));
    const { port } = listener.address as { port: number };
    const a = track(await connect({ host, port, authkey }));
    track(await connect({ host, port, authkey }));
    await waitFor(() => listener.stats().queued === 2, 5_000, 'two queued');
    await expect(connect({ host, port, authkey })).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_AUTH_/),
    });
    expect(listener.stats()).toMatchObject({ refused: 1, active: 2, queued: 2 });
    const first = await listener.accept();
    await a.send('first');
    expect(await first.recv()).toBe('first');
    first.close();
    await waitFor(() => listener.stats().active === 1, 5_000, 'the close to be seen');
    track(await connect({ host, port, authkey }));
    await waitFor(() => listener.stats().queued === 2, 5_000, 'queued again');
    expect(listener.stats().refused).toBe(1);
  });

  it('idleTimeout covers accepted connections too', async () => {
    const listener = await listen({ host, port: 0, authkey, idleTimeout: 300 });
    cleanups.push(() => listener.close({ timeout: 0 }));
    const { port } = listener.address as { port: number };
    track(await connect({ host, port, authkey }));
    const accepted = track(await listener.accept());
    await expect(accepted.recvBytes()).rejects.toMatchObject({
      code: 'ERR_CONNECTION_CLOSED',
      cause: { code: 'ERR_IDLE_TIMEOUT' },
    });
    expect(listener.stats()).toMatchObject({ timeouts: 1, active: 0 });
  });

  it('close({ timeout }): drops queued connections at once, gives accepted ones the timeout, then destroys them', async () => {
    const listener = await listen({ host, port: 0, authkey });
    const { port } = listener.address as { port: number };
    const a = track(await connect({ host, port, authkey }));
    const b = track(await connect({ host, port, authkey }));
    const accepted = track(await listener.accept());
    await waitFor(() => listener.stats().queued === 1, 5_000, 'b queued');
    const received = accepted.recvBytes();
    const started = performance.now();
    const closing = listener.close({ timeout: 500 });
    await expect(listener.accept()).rejects.toMatchObject({ code: 'ERR_LISTENER_CLOSED' });
    // The queued connection nobody accepted is closed at once.
    await expect(b.recvBytes()).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
    // The accepted one keeps working during the grace period...
    await a.sendBytes(Buffer.from('during close'));
    expect(Buffer.from(await received).toString()).toBe('during close');
    await closing;
    expect(performance.now() - started).toBeGreaterThanOrEqual(480);
    // ...then is destroyed, and says why.
    await expect(accepted.recvBytes()).rejects.toMatchObject({
      code: 'ERR_CONNECTION_CLOSED',
      cause: { code: 'ERR_SERVER_CLOSING' },
    });
    expect(listener.stats()).toMatchObject({ active: 0, queued: 0 });
  });

  it('close() resolves as soon as the owners close their accepted connections', async () => {
    const listener = await listen({ host, port: 0, authkey });
    const { port } = listener.address as { port: number };
    track(await connect({ host, port, authkey }));
    const accepted = await listener.accept();
    const started = performance.now();
    const closing = listener.close({ timeout: 10_000 });
    accepted.close();
    await closing;
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('sendTimeout (connections without a lifecycle)', () => {
  /** A raw TCP peer whose sockets are never read (or read as `onSocket` decides). */
  async function rawPeer(onSocket: (socket: Socket) => void = () => undefined) {
    const sockets: Socket[] = [];
    const server = createServer({ pauseOnConnect: true }, (socket) => {
      socket.on('error', () => undefined);
      sockets.push(socket);
      onSocket(socket);
    });
    server.listen(0, host);
    await once(server, 'listening');
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    return (server.address() as { port: number }).port;
  }

  it('a send to a peer that stopped reading fails with ERR_TIMEOUT after sendTimeout, and the connection is destroyed', async () => {
    const port = await rawPeer();
    const conn = track(await connect({ host, port, authkey: null, sendTimeout: 300 }));
    const body = Buffer.alloc(MiB);
    let error: unknown;
    for (let i = 0; i < 500 && error === undefined; i++) {
      await conn.sendBytes(body).catch((e: unknown) => {
        error = e;
      });
    }
    expect(error).toBeInstanceOf(SendTimeoutError);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'ERR_TIMEOUT', timeout: 300 });
    expect(conn.closed).toBe(true);
    await expect(conn.sendBytes(new Uint8Array(1))).rejects.toMatchObject({
      code: 'ERR_CONNECTION_CLOSED',
      cause: { code: 'ERR_TIMEOUT' },
    });
  });

  it('a slow reader that keeps taking bytes keeps a send alive past sendTimeout', async () => {
    let received = 0;
    const port = await rawPeer((socket) => {
      // Take 2 MiB, pause 150 ms (under sendTimeout), again: slow, but progressing.
      let burst = 0;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.byteLength;
        burst += chunk.byteLength;
        if (burst >= 2 * MiB) {
          burst = 0;
          socket.pause();
          setTimeout(() => socket.resume(), 150);
        }
      });
      socket.resume();
    });
    const conn = track(await connect({ host, port, authkey: null, sendTimeout: 400 }));
    const size = 48 * MiB;
    const started = performance.now();
    await conn.sendBytes(Buffer.alloc(size));
    // The send waited much longer than sendTimeout in all, and was not cut.
    expect(performance.now() - started).toBeGreaterThan(800);
    await waitFor(() => received === size + 4, 20_000, 'every byte at the peer');
    expect(conn.closed).toBe(false);
  }, 30_000);
});
