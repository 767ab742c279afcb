import { once } from 'node:events';
import { createServer as createNetServer, type Socket, connect as tcpConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import { HandshakeTimeoutError as TcpHandshakeTimeoutError } from '@net/tcp-server';
import { holdSilentClients, openFds } from '@net/test-peers';
import { describe, expect, it } from 'vitest';
import {
  connectTls,
  HandshakeTimeoutError,
  type TlsConnection,
  type TlsServer,
  wrapSocket,
} from '../src/index.js';
import { devCerts, echo, echoOnce, roundTrip, useCleanups, waitFor } from './helpers.js';

const { defer, serve } = useCleanups();
function track<T extends Socket>(socket: T): T {
  defer(() => socket.destroy());
  return socket;
}

/** A raw TCP connection to `port` that sends nothing (a client stuck before its ClientHello). */
async function silentClient(port: number): Promise<Socket> {
  const socket = track(tcpConnect({ host: '127.0.0.1', port }));
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

/** Resolves when `socket` closes, or rejects after `timeout` ms. */
async function closed(socket: Socket, timeout = 5_000): Promise<void> {
  if (socket.destroyed) return;
  await Promise.race([
    once(socket, 'close'),
    sleep(timeout).then(() => {
      throw new Error(`socket still open after ${timeout} ms`);
    }),
  ]);
}

describe('createTlsServer on the connection lifecycle', () => {
  it('a flood of silent connections over maxConnections: bounded fds, refused at once, closed at the handshake deadline, then a real client is served', async () => {
    const certs = await devCerts();
    const maxConnections = 20;
    const handshakeTimeout = 400;
    const { server, port, errors } = await serve({
      cert: certs.server.cert,
      key: certs.server.key,
      maxConnections,
      handshakeTimeout,
    });
    const report = await holdSilentClients(port, 200, {
      holdMs: 4_000,
      active: () => server.stats().active,
    });
    const { peakFds, peakActive } = report;

    expect(report.opened).toBe(200);
    // Every silent client was let go by the server: refused at once or closed at the deadline.
    expect(report.closedByServer).toBe(200);
    expect(peakActive).toBeLessThanOrEqual(maxConnections);
    // One descriptor per connection (the TLSSocket shares the accepted socket's handle),
    // and refused ones are closed as soon as they are accepted.
    expect(peakFds).toBeLessThanOrEqual(maxConnections + 15);
    const stats = server.stats();
    expect(stats.accepted).toBe(200);
    expect(stats.refused + stats.timeouts).toBe(200);
    expect(stats.timeouts).toBeGreaterThanOrEqual(maxConnections);
    expect(stats).toMatchObject({ handshakes: 0, handshakeFailures: 0, handlerErrors: 0 });
    // The ones that got in were closed at their deadline, not before it.
    const heldOnes = report.results.filter((r) => r.after >= handshakeTimeout - 50);
    expect(heldOnes.length).toBe(stats.timeouts);
    expect(errors.length).toBe(stats.timeouts);
    expect(errors.every((e) => e.code === 'ERR_HANDSHAKE_TIMEOUT' && e.phase === 'handshake')).toBe(
      true,
    );
    await waitFor(() => server.stats().active === 0, 2_000);

    const client = await connectTls({ host: '127.0.0.1', port, ca: certs.caCert, session: false });
    expect(await roundTrip(client, 'served after the flood')).toBe('served after the flood');
  }, 30_000);

  it('maxConnections at its boundary: exactly N connections are held (handshaking or served), the N+1th is refused', async () => {
    const certs = await devCerts();
    const maxConnections = 3;
    const { server, port } = await serve({
      cert: certs.server.cert,
      key: certs.server.key,
      maxConnections,
    });
    // Counted from accept: one client still before its handshake takes a slot too.
    const handshaking = await silentClient(port);
    const served: TLSSocket[] = [];
    for (let i = 0; i < maxConnections - 1; i++) {
      const sock = track(
        await connectTls({ host: '127.0.0.1', port, ca: certs.caCert, session: false }),
      );
      expect(await echoOnce(sock, `held ${i}`)).toBe(`held ${i}`);
      served.push(sock);
    }
    expect(server.stats()).toMatchObject({ active: maxConnections, refused: 0 });

    const refused = await connectTls({
      host: '127.0.0.1',
      port,
      ca: certs.caCert,
      session: false,
    }).catch((e) => e);
    expect(refused).toMatchObject({ code: 'ERR_TLS_HANDSHAKE_FAILED' });
    expect(server.stats()).toMatchObject({ refused: 1, handshakes: maxConnections - 1 });

    // A slot frees up when a connection ends: the next client is served.
    handshaking.destroy();
    await waitFor(() => server.stats().active === maxConnections - 1);
    const next = await connectTls({ host: '127.0.0.1', port, ca: certs.caCert, session: false });
    expect(await roundTrip(next, 'next')).toBe('next');
    for (const sock of served) expect(await echoOnce(sock, 'still')).toBe('still');
    expect(server.stats().refused).toBe(1);
  });

  it('the handshake deadline at its boundary: a client finishing inside it is served, a silent one is closed', async () => {
    const certs = await devCerts();
    const handshakeTimeout = 600;
    const { server, port, errors } = await serve({
      cert: certs.server.cert,
      key: certs.server.key,
      handshakeTimeout,
    });
    const late = await silentClient(port); // starts its handshake well inside the deadline
    const silent = await silentClient(port);
    await sleep(handshakeTimeout - 300);
    const secure = track(await wrapSocket(late, { servername: 'localhost', ca: certs.caCert }));
    expect(await echoOnce(secure, 'inside')).toBe('inside');
    await closed(silent, handshakeTimeout + 2_000);
    await sleep(300); // well past the deadline: the established one is still served
    expect(await roundTrip(secure, 'still here')).toBe('still here');
    expect(server.stats()).toMatchObject({ timeouts: 1, handshakes: 1, handshakeFailures: 0 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'ERR_HANDSHAKE_TIMEOUT',
      phase: 'handshake',
      timeout: handshakeTimeout,
    });
    // One class for the condition, on both sides: tcp-server's, re-exported here.
    expect(errors[0]?.error).toBeInstanceOf(HandshakeTimeoutError);
    expect(HandshakeTimeoutError).toBe(TcpHandshakeTimeoutError);
  });

  it('a peer that never reads while we write is closed after idleTimeout, with what we queue bounded', async () => {
    const certs = await devCerts();
    const writeHighWaterMark = 256 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    let socket: TLSSocket | undefined;
    let peakQueued = 0;
    let writeError: unknown;
    const { server, port } = await serve(
      {
        cert: certs.server.cert,
        key: certs.server.key,
        idleTimeout: 400,
        writeHighWaterMark,
      },
      async (conn) => {
        socket = conn.socket;
        try {
          for (let i = 0; i < 10_000; i++) {
            await conn.write(chunk);
            peakQueued = Math.max(peakQueued, conn.socket.writableLength);
          }
        } catch (error) {
          writeError = error;
        }
      },
    );
    const client = track(await connectTls({ host: '127.0.0.1', port, ca: certs.caCert }));
    client.pause(); // never reads, never sends
    await waitFor(() => server.stats().timeouts === 1, 10_000);
    await waitFor(() => server.stats().active === 0, 2_000);
    expect(socket?.destroyed).toBe(true);
    // Never more than the high-water mark plus the chunk that crossed it waited in memory;
    // the rest sat in the kernel's buffers, so far less than the 640 MiB the handler tried.
    expect(peakQueued).toBeLessThanOrEqual(writeHighWaterMark + chunk.byteLength);
    expect(server.stats().bytesOut).toBeLessThan(64 * 1024 * 1024);
    expect(writeError).toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
    expect(server.stats().handlerErrors).toBe(0);
  });

  it('close() during traffic returns within its timeout: a handler that watches conn.signal finishes, one that does not is cut, nothing leaks', async () => {
    const certs = await devCerts();
    const baseline = openFds();
    const stopped: string[] = [];
    const { server, port } = await serve(
      { cert: certs.server.cert, key: certs.server.key },
      async (conn) => {
        const line = await conn.readLine();
        if (line === 'polite') {
          // Answers each line until the server shuts down, then says goodbye.
          for (;;) {
            const next = await conn.readLine({ signal: conn.signal }).catch(() => null);
            if (next === null) break;
            await conn.write(`${next}\n`);
          }
          await conn.write('bye\n');
          stopped.push('polite');
          return;
        }
        await echo(conn, null); // ignores the signal: cut when close() times out
      },
    );
    const polite = track(await connectTls({ host: '127.0.0.1', port, ca: certs.caCert }));
    const stubborn = track(await connectTls({ host: '127.0.0.1', port, ca: certs.caCert }));
    polite.write('polite\n');
    expect(await echoOnce(polite, 'a\n')).toBe('a\n');
    stubborn.write('stubborn\n');
    expect(await echoOnce(stubborn, 'x')).toBe('x');
    // Traffic keeps flowing on the stubborn one while the server closes.
    const pump = setInterval(() => stubborn.writable && stubborn.write('y'), 5);
    defer(() => clearInterval(pump));
    let politeOut = '';
    polite.on('data', (data) => {
      politeOut += String(data);
    });
    const timeout = 400;
    const started = Date.now();
    await server.close({ timeout });
    const took = Date.now() - started;
    clearInterval(pump);
    expect(took).toBeLessThan(timeout + 2_000);
    await closed(polite);
    await closed(stubborn);
    expect(politeOut).toBe('bye\n');
    expect(stopped).toEqual(['polite']);
    expect(server.stats()).toMatchObject({ active: 0, handlerErrors: 0 });
    expect(server.address()).toBeNull();
    await waitFor(() => openFds() <= baseline, 2_000);
  });

  it('the handler gets a Connection over the TLSSocket: readLine, readExactly, iteration, write, signal', async () => {
    const certs = await devCerts();
    const seen: string[] = [];
    const { server, port } = await serve(
      { cert: certs.server.cert, key: certs.server.key },
      async (conn: TlsConnection) => {
        expect(conn.socket.encrypted).toBe(true);
        expect(conn.signal).toBeInstanceOf(AbortSignal);
        const header = await conn.readLine();
        const body = await conn.readExactly(Number(header));
        seen.push(Buffer.from(body).toString());
        await conn.write(`got ${body.byteLength}\n`);
        for await (const chunk of conn) await conn.write(chunk);
      },
    );
    const sock = await connectTls({ host: '127.0.0.1', port, ca: certs.caCert, session: false });
    sock.write('5\nhello');
    expect(await echoOnce(sock, '')).toBe('got 5\n');
    expect(await roundTrip(sock, 'and the rest')).toBe('and the rest');
    expect(seen).toEqual(['hello']);
    await waitFor(() => server.stats().active === 0);
    const stats = server.stats();
    // bytesIn / bytesOut count wire bytes: TLS records, handshake included.
    expect(stats.bytesIn).toBeGreaterThan('5\nhello'.length + 'and the rest'.length + 200);
    expect(stats.bytesOut).toBeGreaterThan('got 5\n'.length + 'and the rest'.length + 200);
    expect(stats.bytesOut).toBeLessThan(64 * 1024);
  });

  it('destroying the TLSSocket closes the accepted socket, and destroying the accepted socket closes the TLSSocket', async () => {
    const certs = await devCerts();
    const tlsSockets: TLSSocket[] = [];
    const { server, port } = await serve(
      { cert: certs.server.cert, key: certs.server.key },
      async (conn) => {
        tlsSockets.push(conn.socket);
        const line = await conn.readLine();
        if (line === 'destroy') conn.socket.destroy();
        else await echo(conn, null);
      },
    );
    const first = track(await connectTls({ host: '127.0.0.1', port, ca: certs.caCert }));
    first.on('error', () => undefined);
    first.write('destroy\n');
    await closed(first);
    await waitFor(() => server.stats().active === 0);

    // A socket accepted elsewhere and handed over: destroy it under the server's TLSSocket.
    let accepted: Socket | undefined;
    const outer = createNetServer((socket) => {
      accepted = socket;
      server.handleConnection(socket);
    });
    outer.listen(0, '127.0.0.1');
    await once(outer, 'listening');
    defer(() => new Promise((r) => outer.close(r)));
    const outerPort = (outer.address() as { port: number }).port;
    const second = track(
      await connectTls({ host: '127.0.0.1', port: outerPort, ca: certs.caCert, session: false }),
    );
    second.on('error', () => undefined);
    second.write('echo\n');
    expect(await echoOnce(second, 'via handleConnection')).toBe('via handleConnection');
    expect(server.stats().active).toBe(1);
    accepted?.destroy();
    await closed(second);
    await waitFor(() => tlsSockets[1]?.destroyed === true);
    await waitFor(() => server.stats().active === 0);
    expect(server.stats()).toMatchObject({ handshakes: 2, handlerErrors: 0 });
  });

  it('counts a client that hangs up during the handshake as a handshake failure, reported only to onError', async () => {
    const certs = await devCerts();
    const { server, port, errors } = await serve({
      cert: certs.server.cert,
      key: certs.server.key,
    });
    // FIN after part of a ClientHello, then a reset after part of one.
    const ends = await silentClient(port);
    ends.end(Buffer.from([0x16, 0x03, 0x01]));
    await closed(ends);
    const resets = await silentClient(port);
    resets.write(Buffer.from([0x16, 0x03, 0x01]));
    await sleep(50);
    resets.resetAndDestroy();
    await waitFor(() => server.stats().handshakeFailures === 2);
    await waitFor(() => server.stats().active === 0);
    expect(errors.map((e) => [e.code, e.phase])).toEqual([
      ['ERR_TLS_HANDSHAKE_FAILED', 'handshake'],
      ['ERR_TLS_HANDSHAKE_FAILED', 'handshake'],
    ]);
    // Garbage instead of a ClientHello is a failed handshake too.
    const garbage = await silentClient(port);
    garbage.write('GET / HTTP/1.1\r\n\r\n');
    await closed(garbage);
    await waitFor(() => server.stats().handshakeFailures === 3);
    expect(server.stats()).toMatchObject({ handshakes: 0, handlerErrors: 0, timeouts: 0 });
  });
});

describe('createTlsServer options', () => {
  it('undefined means the default for every option', async () => {
    const certs = await devCerts();
    const { SERVER_DEFAULTS } = await import('../src/index.js');
    const options = Object.fromEntries(Object.keys(SERVER_DEFAULTS).map((k) => [k, undefined]));
    const { server, port } = await serve({
      ...options,
      cert: certs.server.cert,
      key: certs.server.key,
      clientCa: undefined,
      sni: undefined,
      alpnProtocols: undefined,
      maxVersion: undefined,
      ciphers: undefined,
      verify: undefined,
    });
    const sock = await connectTls({ host: '127.0.0.1', port, ca: certs.caCert, session: false });
    expect(await roundTrip(sock, 'defaults')).toBe('defaults');
    expect(server.stats().handshakes).toBe(1);
    expect(SERVER_DEFAULTS).toMatchObject({
      handshakeTimeout: 10_000,
      idleTimeout: 300_000,
      maxConnections: 0,
      minVersion: 'TLSv1.2',
      sessionTimeout: 300,
    });
  });

  it('refuses bad values with ERR_INVALID_ARGUMENT, timers at the 2^31-1 ms ceiling', async () => {
    const certs = await devCerts();
    const { createTlsServer } = await import('../src/index.js');
    const pair = { cert: certs.server.cert, key: certs.server.key };
    const handler = () => undefined;
    for (const value of [0, 2 ** 31 - 1]) {
      const ok = createTlsServer(handler, { ...pair, handshakeTimeout: value, idleTimeout: value });
      await ok.close();
    }
    for (const bad of [
      { handshakeTimeout: -1 },
      { handshakeTimeout: 2 ** 31 },
      { idleTimeout: 2 ** 31 },
      { maxConnections: 1.5 },
      { maxConnections: -1 },
      { sessionTimeout: 0 },
      { watchInterval: 0 },
      { watch: 'yes' },
      { minVersion: 'TLSv1.1' },
      { alpnProtocols: [''] },
      { onError: 'log' },
      { writeHighWaterMark: 0 },
    ]) {
      expect(() => createTlsServer(handler, { ...pair, ...(bad as object) })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
    expect(() => createTlsServer(pair as never, handler as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('without onError: handler errors are one line on stderr from @net/tls, failed handshakes are only counted', async () => {
    const certs = await devCerts();
    const { createTlsServer } = await import('../src/index.js');
    const lines: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    };
    defer(() => {
      console.error = original;
    });
    const server: TlsServer = createTlsServer(
      () => {
        throw new Error('bug\nin handler');
      },
      { cert: certs.server.cert, key: certs.server.key },
    );
    defer(() => server.close({ timeout: 500 }));
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    const sock = await connectTls({ host: '127.0.0.1', port, ca: certs.caCert, session: false });
    sock.on('error', () => undefined);
    await closed(sock);
    const untrusting = await connectTls({ host: '127.0.0.1', port, servername: 'localhost' }).catch(
      (e) => e,
    );
    expect(untrusting).toMatchObject({ code: 'ERR_TLS_UNTRUSTED_CERT' });
    await waitFor(
      () => server.stats().handshakeFailures === 1 && server.stats().handlerErrors === 1,
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^@net\/tls: handler error \(client 127\.0\.0\.1:\d+\): bug in handler$/,
    );
  });
});
