import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach } from 'vitest';
import { createUdpServer, type UdpServer, type UdpServerOptions } from '../src/index.js';

const cleanups: Array<() => unknown> = [];

/** Registers `fn` to run after the current test, whatever its outcome. */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** An echo server bound to `host` port 0, closed after the test. */
export async function echoServer(
  host = '127.0.0.1',
  options: UdpServerOptions = {},
): Promise<{ server: UdpServer; port: number }> {
  const server = createUdpServer((msg) => msg.reply(msg.data), options);
  onCleanup(() => server.close());
  const { port } = await server.bind({ host, port: 0 });
  return { server, port };
}

/** A raw dgram socket bound to `host` and `port` (default 0), closed after the test. */
export async function rawSocket(host = '127.0.0.1', port = 0): Promise<Socket> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('error', () => undefined);
  socket.bind(port, host);
  await once(socket, 'listening');
  onCleanup(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket;
}

/** Collects the datagrams a raw socket receives. */
export function collect(socket: Socket): Array<{ data: Buffer; rinfo: RemoteInfo }> {
  const seen: Array<{ data: Buffer; rinfo: RemoteInfo }> = [];
  socket.on('message', (data, rinfo) => seen.push({ data, rinfo }));
  return seen;
}

/** Waits until `predicate()` holds, polling every 10 ms, for at most `ms`; throws otherwise. */
export async function waitFor(predicate: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Bytes 0..n-1 of a repeating pattern. */
export function pattern(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<{ code?: string } & Error> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string } & Error;
  }
  throw new Error('expected the promise to reject');
}
