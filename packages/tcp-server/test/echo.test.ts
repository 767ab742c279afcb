import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Connection, createTcpServer, type TcpServer } from '../src/index.js';
import { collect, connectTo, echo, pattern, receive, startServer, waitFor } from './helpers.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
function track(server: TcpServer): TcpServer {
  cleanup.push(() => server.close({ timeout: 500 }));
  return server;
}
function trackSocket(socket: Socket): Socket {
  cleanup.push(() => socket.destroy());
  return socket;
}

describe('echo', () => {
  it('echoes 1 MiB over one connection, half-closed by the client, and counts bytes', async () => {
    const { server, port, errors } = await startServer();
    track(server);
    const client = trackSocket(await connectTo(port));
    const data = pattern(1024 * 1024);
    const received = collect(client);
    client.end(data); // half-close: the server must still write everything back
    expect((await received).equals(data)).toBe(true);
    await waitFor(() => server.stats().active === 0, 5_000, 'connection closed');
    const stats = server.stats();
    expect(stats).toMatchObject({ accepted: 1, refused: 0, handlerErrors: 0, active: 0 });
    expect(stats.bytesIn).toBe(data.byteLength);
    expect(stats.bytesOut).toBe(data.byteLength);
    expect(errors).toEqual([]);
  });

  it('write() resolves at once while the socket is not backpressured', async () => {
    let first: Promise<void> | undefined;
    let settled = false;
    const { server, port } = await startServer(async (conn) => {
      first = conn.write('hello');
      first.then(() => {
        settled = true;
      });
      await Promise.resolve(); // one microtask: an already-resolved promise has settled
      await conn.write(settled ? 'resolved\n' : 'pending\n');
    });
    track(server);
    const client = trackSocket(await connectTo(port));
    expect((await collect(client)).toString()).toBe('helloresolved\n');
  });

  it('serves a line-oriented handler (readLine), the StreamRequestHandler equivalent', async () => {
    const { server, port } = await startServer(async (conn) => {
      for (let line = await conn.readLine(); line !== null; line = await conn.readLine()) {
        await conn.write(`${line.toUpperCase()}\n`);
      }
    });
    track(server);
    const client = trackSocket(await connectTo(port));
    const out = collect(client);
    client.write('hello\r\nwor');
    client.end('ld\nlast');
    expect((await out).toString()).toBe('HELLO\nWORLD\nLAST\n');
  });

  it('offers readExactly, readFrame, readUntil and read, and mixes them with iteration', async () => {
    const { server, port, errors } = await startServer(async (conn) => {
      const head = await conn.readExactly(4, { timeout: 5_000, signal: conn.signal });
      await conn.write(head);
      const frame = await conn.readFrame();
      await conn.write(`frame:${Buffer.from(frame!).toString()}\n`);
      const until = await conn.readUntil('|');
      await conn.write(until);
      for await (const chunk of conn) await conn.write(chunk);
    });
    track(server);
    const client = trackSocket(await connectTo(port));
    const out = collect(client);
    const body = Buffer.from('xyz');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.byteLength);
    client.write(Buffer.concat([Buffer.from('ABCD'), header, body, Buffer.from('rec|tail')]));
    client.end();
    expect((await out).toString()).toBe('ABCDframe:xyz\nrec|tail');
    expect(errors).toEqual([]);
  });

  it('keeps bytes in order when iteration switches to reader calls mid-stream', async () => {
    const { server, port } = await startServer(async (conn) => {
      const iterator = conn[Symbol.asyncIterator]();
      const first = await iterator.next(); // direct iteration, no reader yet
      await conn.write(first.value as Uint8Array);
      await conn.write('|');
      const line = await conn.readLine(); // switches to the reader: buffered chunks go first
      await conn.write(`${line}|`);
      for await (const chunk of conn) await conn.write(chunk);
    });
    track(server);
    const client = trackSocket(await connectTo(port));
    client.write('first');
    const firstBack = await receive(client, 6);
    expect(firstBack.toString()).toBe('first|');
    const out = collect(client);
    client.write('a line\nand');
    client.end(' the rest');
    expect((await out).toString()).toBe('a line|and the rest');
  });

  it('hands bytes the iterator had read ahead to the reader, in order', async () => {
    const { server, port, errors } = await startServer(async (conn) => {
      const iterator = conn[Symbol.asyncIterator]();
      const first = await iterator.next();
      await conn.write(first.value as Uint8Array);
      await waitFor(() => conn.buffered >= 12, 5_000, 'read-ahead'); // chunks wait in the iterator
      await conn.write(`${await conn.readLine()}|${await conn.readLine()}|`);
      await conn.write(Buffer.from((await conn.read())!));
    });
    track(server);
    const client = trackSocket(await connectTo(port));
    client.write('go');
    expect((await receive(client, 2)).toString()).toBe('go');
    const out = collect(client);
    client.write('one\n');
    await new Promise((resolve) => setTimeout(resolve, 20)); // separate chunks, most likely
    client.write('two\nrest');
    expect((await out).toString()).toBe('one|two|rest');
    expect(errors).toEqual([]);
  });

  it('serves read-ahead bytes after the client has ended, then the end', async () => {
    const { server, port, errors } = await startServer(async (conn) => {
      await conn.write('ready');
      await waitFor(() => conn.socket.readableEnded, 5_000, 'client ended');
      const lines: Array<string | null> = [];
      for (let i = 0; i < 3; i++) lines.push(await conn.readLine());
      await conn.write(JSON.stringify(lines));
    });
    track(server);
    const client = trackSocket(await connectTo(port));
    expect((await receive(client, 5)).toString()).toBe('ready');
    const out = collect(client);
    client.end('a\nb');
    expect((await out).toString()).toBe('["a","b",null]');
    expect(errors).toEqual([]);
  });

  it('listens on IPv6 ::1', async () => {
    const server = track(createTcpServer(echo));
    const address = await server.listen({ host: '::1', port: 0 });
    expect(address.family).toBe('IPv6');
    const client = trackSocket(await connectTo(address.port, '::1'));
    const out = collect(client);
    client.end('over v6');
    expect((await out).toString()).toBe('over v6');
  });

  it('listens dual stack on :: and serves an IPv4 client', async () => {
    const seen: Array<string | undefined> = [];
    const server = track(
      createTcpServer(async (conn) => {
        seen.push(conn.remoteFamily);
        await echo(conn);
      }),
    );
    const { port } = await server.listen({ host: '::', port: 0 });
    const client = trackSocket(await connectTo(port, '127.0.0.1'));
    const out = collect(client);
    client.end('v4 on dual stack');
    expect((await out).toString()).toBe('v4 on dual stack');
    expect(seen).toEqual(['IPv6']); // an IPv4-mapped address
  });

  it('listens on a Unix domain socket and removes it on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcp-server-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'echo.sock');
    const server = createTcpServer(echo);
    const address = await server.listen({ path });
    expect(address).toEqual({ path });
    const { connect } = await import('node:net');
    const client = trackSocket(connect({ path, allowHalfOpen: true }));
    await once(client, 'connect');
    const out = collect(client);
    client.end('over a unix socket');
    expect((await out).toString()).toBe('over a unix socket');
    await server.close({ timeout: 1_000 });
    const { existsSync } = await import('node:fs');
    expect(existsSync(path)).toBe(false);
  });

  it('serves sockets accepted by a plain net.Server through handleConnection', async () => {
    const ours = track(createTcpServer(echo));
    const plain = createServer((socket) => ours.handleConnection(socket)); // allowHalfOpen off
    plain.listen(0, '127.0.0.1');
    await once(plain, 'listening');
    cleanup.push(() => plain.close());
    const client = trackSocket(await connectTo((plain.address() as { port: number }).port));
    const out = collect(client);
    client.end('handed over'); // half-close still works: handleConnection turns allowHalfOpen on
    expect((await out).toString()).toBe('handed over');
    expect(ours.stats().accepted).toBe(1);
    expect(ours.listening).toBe(false);
  });

  it('exposes the peer address and the socket', async () => {
    let info: Partial<Connection> = {};
    const { server, port } = await startServer(async (conn) => {
      info = { remoteAddress: conn.remoteAddress, remotePort: conn.remotePort };
      expect(conn.socket.remotePort).toBe(conn.remotePort);
      await conn.end('bye');
    });
    track(server);
    const client = trackSocket(await connectTo(port));
    expect((await collect(client)).toString()).toBe('bye');
    expect(info.remoteAddress).toBe('127.0.0.1');
    expect(info.remotePort).toBe(client.localPort);
  });
});
