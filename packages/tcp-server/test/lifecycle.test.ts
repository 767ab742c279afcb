import { setTimeout as sleep } from 'node:timers/promises';
import { holdSilentClients } from '@net/test-peers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Connection,
  type ConnectionContext,
  createSocketServer,
  createTcpServer,
  type ErrorContext,
  reportError,
  TCP_SERVER_DEFAULTS,
  type TcpServer,
} from '../src/index.js';
import { closed, collect, connectTo, echo, receive, startServer, waitFor } from './helpers.js';

const servers: TcpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close({ timeout: 500 })));
});
function track(server: TcpServer): TcpServer {
  servers.push(server);
  return server;
}

/** A handler with a first phase: the client must send "hello\n" before it is echoed. */
async function greetThenEcho(conn: Connection): Promise<void> {
  const line = await conn.readLine({ signal: conn.signal });
  if (line !== 'hello') throw new Error(`expected hello, got ${line}`);
  conn.markEstablished();
  await conn.write('welcome\n');
  await echo(conn);
}

describe('the connection lifecycle', () => {
  it('a flood of silent connections over maxConnections: bounded fds, refused at once, closed at the deadline, then a real client is served', async () => {
    const maxConnections = 20;
    const handshakeTimeout = 400;
    const { server, port } = await startServer(greetThenEcho, {
      maxConnections,
      handshakeTimeout,
    });
    track(server);
    const report = await holdSilentClients(port, 200, {
      holdMs: 4_000,
      active: () => server.stats().active,
    });
    const { peakFds, peakActive } = report;

    expect(report.opened).toBe(200);
    // Every silent client was let go by the server: refused at once or closed at the deadline.
    expect(report.closedByServer).toBe(200);
    expect(peakActive).toBeLessThanOrEqual(maxConnections);
    // Refused sockets are closed as soon as they are accepted: the process holds about
    // maxConnections sockets, not one per silent client.
    expect(peakFds).toBeLessThanOrEqual(maxConnections + 15);
    const stats = server.stats();
    expect(stats.accepted).toBe(200);
    expect(stats.refused + stats.timeouts).toBe(200);
    expect(stats.timeouts).toBeGreaterThanOrEqual(maxConnections);
    expect(stats.handlerErrors).toBe(0);
    // The ones that were served were closed at the deadline, not before it.
    const servedOnes = report.results.filter((r) => r.after >= handshakeTimeout - 50);
    expect(servedOnes.length).toBe(stats.timeouts);
    await waitFor(() => server.stats().active === 0, 2_000, 'all closed');

    const client = await connectTo(port);
    client.write('hello\n');
    expect((await receive(client, 8)).toString()).toBe('welcome\n');
    const out = collect(client);
    client.end('served after the flood');
    expect((await out).toString()).toBe('served after the flood');
  }, 30_000);

  it('handshakeTimeout: a client that finishes its first phase inside the deadline stays, one that does not is closed', async () => {
    const handshakeTimeout = 600;
    const signals: AbortSignal[] = [];
    const { server, port } = await startServer(
      async (conn) => {
        signals.push(conn.signal);
        await greetThenEcho(conn);
      },
      { handshakeTimeout },
    );
    track(server);
    const fast = await connectTo(port);
    const silent = await connectTo(port);
    await sleep(handshakeTimeout - 250);
    fast.write('hello\n'); // inside the deadline
    expect((await receive(fast, 8)).toString()).toBe('welcome\n');
    await closed(silent, handshakeTimeout + 2_000);
    await sleep(400); // well past the deadline: the established one is still served
    const out = collect(fast);
    fast.end('still here');
    expect((await out).toString()).toBe('still here');
    expect(server.stats().timeouts).toBe(1);
    const reasons = signals.map((s) => (s.reason as { code?: string } | undefined)?.code);
    expect(reasons).toContain('ERR_HANDSHAKE_TIMEOUT');
  });

  it('handshakeTimeout also bounds a verify() that never answers', async () => {
    const { server, port } = await startServer(echo, {
      handshakeTimeout: 300,
      idleTimeout: 0,
      verify: () => new Promise<boolean>(() => undefined),
    });
    track(server);
    const client = await connectTo(port);
    await closed(client, 3_000);
    expect(server.stats()).toMatchObject({ timeouts: 1, active: 0 });
  });

  it('idleTimeout covers a peer that stops reading while we write (no input from it either)', async () => {
    let writeError: unknown;
    let conn: Connection | undefined;
    const { server, port } = await startServer(
      async (c) => {
        conn = c;
        const chunk = Buffer.alloc(256 * 1024, 1);
        try {
          for (let i = 0; i < 10_000; i++) await c.write(chunk);
        } catch (error) {
          writeError = error;
        }
      },
      { idleTimeout: 400, writeHighWaterMark: 1024 * 1024 },
    );
    track(server);
    const client = await connectTo(port);
    client.pause(); // never reads, never sends
    await waitFor(() => server.stats().timeouts === 1, 5_000, 'closed by idleTimeout');
    await waitFor(() => server.stats().active === 0, 2_000, 'socket gone');
    expect(conn!.socket.destroyed).toBe(true);
    // Memory stayed bounded: what we queued never passed the high-water mark plus one chunk.
    expect(server.stats().bytesOut).toBeLessThan(64 * 1024 * 1024);
    expect((writeError as { code?: string }).code).toBe('ERR_CONNECTION_CLOSED');
    expect(server.stats().handlerErrors).toBe(0);
    client.destroy();
  });

  it('a handler that fails before markEstablished() counts as a handshake failure, reported only to a user onError', async () => {
    const reported: ErrorContext[] = [];
    const { server, port } = await startServer(greetThenEcho, {
      handshakeTimeout: 5_000,
      onError: (_error, context) => reported.push(context),
    });
    track(server);
    const client = await connectTo(port);
    client.write('nope\n');
    await closed(client);
    await waitFor(() => server.stats().handshakeFailures === 1, 2_000, 'counted');
    expect(server.stats().handlerErrors).toBe(0);
    expect(reported.map((c) => c.phase)).toEqual(['handshake']);

    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const defaults = track(createTcpServer(greetThenEcho, { handshakeTimeout: 5_000 }));
      const { port: port2 } = await defaults.listen({ host: '127.0.0.1', port: 0 });
      const other = await connectTo(port2);
      other.write('nope\n');
      await closed(other);
      await waitFor(() => defaults.stats().handshakeFailures === 1, 2_000, 'counted');
      expect(quiet).not.toHaveBeenCalled();
    } finally {
      quiet.mockRestore();
    }
  });

  it('createSocketServer: the socket and its context, the Connection on demand, close() drops connections still in their first phase', async () => {
    const contexts: ConnectionContext[] = [];
    const server = track(
      createSocketServer(
        async (_socket, context) => {
          contexts.push(context);
          const conn = context.connection();
          expect(context.connection()).toBe(conn);
          const line = await conn.readLine({ signal: context.signal });
          if (line === null) return;
          context.markEstablished();
          await conn.write(`${line.toUpperCase()}\n`);
          await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
        },
        { handshakeTimeout: 10_000 },
      ),
    );
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    const established = await connectTo(port);
    established.write('hi\n');
    expect((await receive(established, 3)).toString()).toBe('HI\n');
    const waiting = await connectTo(port);
    await waitFor(() => contexts.length === 2, 2_000, 'both accepted');
    expect(contexts.map((c) => c.established)).toEqual([true, false]);
    const started = performance.now();
    await server.close({ timeout: 3_000 });
    expect(performance.now() - started).toBeLessThan(2_500);
    expect((contexts[0]!.signal.reason as { code?: string }).code).toBe('ERR_SERVER_CLOSING');
    await closed(waiting);
    await closed(established);
    expect(server.stats().active).toBe(0);
  });

  it('undefined options take their defaults; timer options past Node’s ceiling are refused', () => {
    const server = createTcpServer(echo, {
      idleTimeout: undefined,
      maxConnections: undefined,
      handshakeTimeout: undefined,
    });
    expect(server.listening).toBe(false);
    expect(TCP_SERVER_DEFAULTS.handshakeTimeout).toBe(0);
    expect(() => createTcpServer(echo, { idleTimeout: 2 ** 31 - 1 })).not.toThrow();
    for (const name of ['idleTimeout', 'handshakeTimeout', 'endTimeout', 'closeTimeout'] as const) {
      expect(() => createTcpServer(echo, { [name]: 2 ** 31 })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
  });

  it('reportError writes one line per error, whatever the peer put in the message', () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => {
      lines.push(line);
    });
    try {
      reportError('@net/x', Object.assign(new Error('bad\r\nFAKE LOG LINE'), { code: 'ERR_X' }), {
        phase: 'handler',
        remoteAddress: '127.0.0.1',
        remotePort: 5,
      });
    } finally {
      spy.mockRestore();
    }
    expect(lines).toEqual(['@net/x: handler error (client 127.0.0.1:5): ERR_X: bad FAKE LOG LINE']);
  });
});
