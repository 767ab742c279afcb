import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type Connection, type ErrorContext, NetError, type TcpServer } from '../src/index.js';
import {
  closed,
  collect,
  connectTo,
  echo,
  pattern,
  receive,
  startServer,
  waitFor,
} from './helpers.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
function track<T extends TcpServer | Socket>(thing: T): T {
  cleanup.push(() =>
    'handleConnection' in thing ? thing.close({ timeout: 500 }) : thing.destroy(),
  );
  return thing;
}
const codeOf = (value: unknown): string | undefined => (value as NetError | undefined)?.code;

describe('robustness', () => {
  it('survives clients that reset mid-echo, and keeps serving', async () => {
    const { server, port, errors } = await startServer();
    track(server);
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectTo(port)));
    clients.forEach(track);
    const data = pattern(256 * 1024);
    for (const client of clients) client.write(data);
    // Wait until every client got some echo back: the resets land mid-echo.
    await Promise.all(clients.map((client) => receive(client, 1024)));
    for (const client of clients) client.resetAndDestroy();
    await waitFor(() => server.stats().active === 0, 5_000, 'reset connections closed');
    const healthy = track(await connectTo(port));
    const out = collect(healthy);
    healthy.end('still alive');
    expect((await out).toString()).toBe('still alive');
    const stats = server.stats();
    expect(stats.handlerErrors).toBe(0);
    expect(stats.socketErrors).toBeGreaterThan(0); // the resets were seen and counted
    expect(errors).toEqual([]);
  });

  it('bounds memory for a client that never reads: the echo handler waits on write()', async () => {
    let conn: Connection | undefined;
    const { server, port, errors } = await startServer(
      async (c) => {
        conn = c;
        await echo(c);
      },
      { writeHighWaterMark: 1024 * 1024, reader: { highWaterMark: 256 * 1024 } },
    );
    track(server);
    const client = track(await connectTo(port));
    client.pause(); // never reads
    const total = 48 * 1024 * 1024;
    client.write(Buffer.alloc(total, 7));
    // Wait until the server stops taking input (its writes are backed up to the client).
    let last = -1;
    await waitFor(
      () => {
        const now = server.stats().bytesIn;
        const still = now === last && now > 0;
        last = now;
        return still;
      },
      15_000,
      'server input stalled',
    );
    expect(conn).toBeDefined();
    expect(server.stats().bytesIn).toBeLessThan(total);
    expect(conn!.socket.writableLength).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024);
    expect(conn!.buffered).toBeLessThanOrEqual(256 * 1024 + 64 * 1024);
    client.destroy();
    await waitFor(() => server.stats().active === 0, 5_000, 'connection closed');
    expect(server.stats().handlerErrors).toBe(0); // the pending write rejected: not a bug
    expect(errors).toEqual([]);
  });

  it('closes a connection idle past idleTimeout, with ERR_IDLE_TIMEOUT on conn.signal', async () => {
    const reasons: unknown[] = [];
    const { server, port } = await startServer(
      async (conn) => {
        await echo(conn);
        reasons.push(conn.signal.reason);
      },
      { idleTimeout: 200 },
    );
    track(server);
    const client = track(await connectTo(port));
    client.write('ping');
    expect((await receive(client, 4)).toString()).toBe('ping');
    await closed(client, 5_000); // then silence: the server hangs up
    await waitFor(() => reasons.length === 1, 2_000, 'handler returned');
    expect(codeOf(reasons[0])).toBe('ERR_IDLE_TIMEOUT');
    expect(server.stats().timeouts).toBe(1);
  });

  it('idleTimeout counts progress either way: a trickle in, or a stream out, keeps a connection open', async () => {
    const idleTimeout = 300;
    const { server, port } = await startServer(
      async (conn) => {
        if ((await conn.readLine()) !== 'send') return echo(conn);
        // Writes only, each within the limit: the peer reads, never writes.
        for (let i = 0; i < 6; i++) {
          await conn.write(`tick ${i}\n`);
          await sleep(idleTimeout / 2);
        }
        await conn.read(); // then waits in silence, until idleTimeout
      },
      { idleTimeout },
    );
    track(server);
    const trickle = track(await connectTo(port));
    trickle.write('echo\n');
    const writer = track(await connectTo(port));
    writer.write('send\n');
    let received = '';
    writer.on('data', (chunk) => {
      received += chunk.toString();
    });
    // Three times the limit, the trickle sending a byte every half limit.
    for (let i = 0; i < 6; i++) {
      trickle.write('x');
      await sleep(idleTimeout / 2);
    }
    expect(trickle.destroyed || trickle.readableEnded).toBe(false);
    expect(received).toContain('tick 5');
    expect(server.stats().timeouts).toBe(0);
    // Then silence: each is closed one limit (plus the sweep's eighth) after its last byte.
    const quietFrom = performance.now();
    await closed(trickle, 5_000);
    const quiet = performance.now() - quietFrom;
    expect(quiet).toBeGreaterThanOrEqual(idleTimeout / 2 - 20); // its last byte was half a limit ago
    await closed(writer, 5_000);
    await waitFor(() => server.stats().timeouts === 2, 2_000, 'both closed by idleTimeout');
  });

  it('idleTimeout closes a silent connection at the limit, not before', async () => {
    const idleTimeout = 400;
    const { server, port } = await startServer(async (conn) => echo(conn), { idleTimeout });
    track(server);
    const client = track(await connectTo(port));
    client.write('ping');
    expect((await receive(client, 4)).toString()).toBe('ping');
    const from = performance.now();
    await closed(client, 5_000);
    const elapsed = performance.now() - from;
    expect(elapsed).toBeGreaterThanOrEqual(idleTimeout - 20); // timers may fire a little early
    expect(elapsed).toBeLessThan(idleTimeout * 3); // the sweep runs every eighth of the limit
    expect(server.stats().timeouts).toBe(1);
  });

  it('closes a slowloris client that connects and sends nothing', async () => {
    let handlerRan = false;
    const { server, port } = await startServer(
      async (conn) => {
        handlerRan = true;
        await conn.readLine();
      },
      { idleTimeout: 200 },
    );
    track(server);
    const client = track(await connectTo(port));
    await closed(client, 5_000);
    expect(handlerRan).toBe(true);
    await waitFor(() => server.stats().active === 0, 2_000, 'server side closed');
    expect(server.stats()).toMatchObject({ timeouts: 1, handlerErrors: 0 });
  });

  it('a handler that throws closes only its own connection and is reported', async () => {
    const reported: Array<{ error: unknown; context: ErrorContext }> = [];
    const { server, port } = await startServer(
      async (conn) => {
        for await (const chunk of conn) {
          if (Buffer.from(chunk).toString().includes('boom')) throw new Error('handler bug');
          await conn.write(chunk);
        }
      },
      { onError: (error, context) => reported.push({ error, context }) },
    );
    track(server);
    const good = track(await connectTo(port));
    const bad = track(await connectTo(port));
    good.write('before ');
    expect((await receive(good, 7)).toString()).toBe('before ');
    bad.write('boom');
    await closed(bad, 5_000);
    const out = collect(good);
    good.end('after');
    expect((await out).toString()).toBe('after');
    expect(reported).toHaveLength(1);
    expect((reported[0]!.error as Error).message).toBe('handler bug');
    expect(reported[0]!.context.phase).toBe('handler');
    expect(reported[0]!.context.remotePort).toBe(bad.localPort);
    expect(server.stats().handlerErrors).toBe(1);
  });

  it('reports a handler that throws synchronously', async () => {
    const { server, port, errors } = await startServer(() => {
      throw new TypeError('sync bug');
    });
    track(server);
    const client = track(await connectTo(port));
    await closed(client, 5_000);
    expect(errors.map((e) => (e as Error).message)).toEqual(['sync bug']);
  });

  it('close() during traffic: aborts signals, lets watching handlers finish, destroys the rest', async () => {
    const reasons: unknown[] = [];
    let served = 0;
    const { server, port, errors } = await startServer(async (conn) => {
      if (served++ % 2 === 0) {
        // a graceful handler: stops at the signal and says goodbye
        conn.signal.addEventListener('abort', () => undefined);
        for await (const chunk of conn) {
          await conn.write(chunk);
          if (conn.signal.aborted) break;
        }
        reasons.push(conn.signal.reason);
        await conn.write('bye');
        return;
      }
      await echo(conn); // a handler that ignores the signal
    });
    const clients = await Promise.all(Array.from({ length: 6 }, () => connectTo(port)));
    clients.forEach(track);
    let running = true;
    const traffic = clients.map(async (client) => {
      let rounds = 0;
      while (running && !client.destroyed && rounds < 100_000) {
        client.write('ping');
        try {
          await receive(client, 4, 2_000);
        } catch {
          return;
        }
        rounds++;
      }
    });
    await waitFor(() => server.stats().bytesOut > 4 * 6 * 10, 5_000, 'traffic flowing');
    await server.close({ timeout: 300 });
    running = false;
    await Promise.all(traffic);
    expect(server.stats().active).toBe(0);
    expect(server.listening).toBe(false);
    for (const client of clients) await closed(client, 2_000);
    expect(reasons.map(codeOf)).toEqual(Array(3).fill('ERR_SERVER_CLOSING'));
    expect(errors).toEqual([]);
    const refused = connect({ port, host: '127.0.0.1' });
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('close() waits for a graceful handler and resolves once every socket is gone', async () => {
    let goodbyeSent = false;
    const { server, port } = await startServer(async (conn) => {
      await new Promise((resolve) => conn.signal.addEventListener('abort', resolve));
      await sleep(50); // some cleanup work after the signal
      await conn.write('goodbye');
      goodbyeSent = true;
    });
    const client = track(await connectTo(port));
    const out = collect(client);
    await waitFor(() => server.stats().active === 1, 2_000, 'connected');
    await server.close({ timeout: 5_000 });
    expect(goodbyeSent).toBe(true);
    expect((await out).toString()).toBe('goodbye');
    expect(server.stats().active).toBe(0);
  });

  it('verify() refuses a client before its handler runs', async () => {
    let handlerCalls = 0;
    const seen: Array<string | undefined> = [];
    const { server, port } = await startServer(
      async () => {
        handlerCalls++;
      },
      {
        verify: ({ address, port: remotePort }) => {
          seen.push(address);
          return remotePort! % 2 === 1 ? Promise.resolve(false) : false;
        },
      },
    );
    track(server);
    const client = track(await connectTo(port));
    client.write('let me in');
    expect((await collect(client)).byteLength).toBe(0);
    await waitFor(() => server.stats().active === 0, 2_000, 'refused connection closed');
    expect(handlerCalls).toBe(0);
    expect(seen).toEqual(['127.0.0.1']);
    expect(server.stats()).toMatchObject({ accepted: 1, refused: 1 });
  });

  it('verify() may be async and admit the client; a throwing verify refuses and is reported', async () => {
    let calls = 0;
    const { server, port, errors } = await startServer(echo, {
      verify: async () => {
        await new Promise((resolve) => setImmediate(resolve)); // answers later, not at once
        if (++calls === 2) throw new Error('verify bug');
        return true;
      },
    });
    track(server);
    const replies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const client = track(await connectTo(port));
      const out = collect(client);
      client.end('hi');
      replies.push((await out).toString());
    }
    expect(replies).toEqual(['hi', '', 'hi']);
    expect(server.stats()).toMatchObject({ accepted: 3, refused: 1 });
    expect(errors.map((e) => (e as Error).message)).toEqual(['verify bug']);
  });

  it('a verify() that never answers is still bound by idleTimeout', async () => {
    const { server, port } = await startServer(echo, {
      idleTimeout: 200,
      verify: () => new Promise<boolean>(() => undefined),
    });
    track(server);
    const client = track(await connectTo(port));
    await closed(client, 5_000);
    await waitFor(() => server.stats().active === 0, 2_000, 'server side closed');
    expect(server.stats().timeouts).toBe(1);
  });

  it('maxConnections reached: a new client is accepted and closed at once, counted as refused', async () => {
    const { server, port } = await startServer(echo, { maxConnections: 2 });
    track(server);
    const a = track(await connectTo(port));
    const b = track(await connectTo(port));
    await waitFor(() => server.stats().active === 2, 2_000, 'two served');
    const c = track(await connectTo(port));
    c.write('over the limit');
    expect((await collect(c)).byteLength).toBe(0);
    expect(server.stats()).toMatchObject({ refused: 1, active: 2 });
    a.destroy();
    await waitFor(() => server.stats().active === 1, 2_000, 'a slot freed');
    const d = track(await connectTo(port));
    const out = collect(d);
    d.end('now there is room');
    expect((await out).toString()).toBe('now there is room');
    b.destroy();
  });

  it('write() rejects with ERR_CONNECTION_CLOSED once the peer is gone', async () => {
    let writeError: unknown;
    const { server, port, errors } = await startServer(async (conn) => {
      await new Promise((resolve) => conn.signal.addEventListener('abort', resolve));
      try {
        await conn.write('too late');
      } catch (error) {
        writeError = error;
      }
    });
    track(server);
    const client = await connectTo(port);
    await waitFor(() => server.stats().active === 1, 2_000, 'connected');
    client.resetAndDestroy();
    await waitFor(() => writeError !== undefined, 2_000, 'write rejected');
    expect(writeError).toBeInstanceOf(NetError);
    expect(codeOf(writeError)).toBe('ERR_CONNECTION_CLOSED');
    expect(errors).toEqual([]);
  });

  it('a signal first looked at after the close is aborted with ERR_CONNECTION_CLOSED', async () => {
    // The close builds its reason only when asked (every connection closes): asked late,
    // it must still be the typed error, and the same object each time.
    let handlerConn: Connection | undefined;
    let release: (() => void) | undefined;
    const { server, port, errors } = await startServer(async (conn) => {
      handlerConn = conn;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    track(server);
    const client = await connectTo(port);
    await waitFor(() => server.stats().active === 1, 2_000, 'connected');
    client.resetAndDestroy();
    await waitFor(() => server.stats().active === 0, 2_000, 'closed');
    const { signal } = handlerConn!;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(NetError);
    expect(codeOf(signal.reason)).toBe('ERR_CONNECTION_CLOSED');
    expect(handlerConn!.signal.reason).toBe(signal.reason);
    release!();
    expect(errors).toEqual([]);
  });
});
