import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Connection,
  createTcpServer,
  type TcpServer,
  type TcpServerOptions,
} from '../src/index.js';

/** The echo handler. */
export async function echo(conn: Connection): Promise<void> {
  for await (const chunk of conn) await conn.write(chunk);
}

/** Starts a server on 127.0.0.1 port 0; errors reported to onError are collected. */
export async function startServer(
  handler: (conn: Connection) => unknown = echo,
  options: TcpServerOptions = {},
): Promise<{ server: TcpServer; port: number; errors: unknown[] }> {
  const errors: unknown[] = [];
  const server = createTcpServer(handler, {
    onError: (error) => errors.push(error),
    ...options,
  });
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  return { server, port, errors };
}

/** Connects a client socket (allowHalfOpen so it can end and still read). */
export async function connectTo(port: number, host = '127.0.0.1'): Promise<Socket> {
  const socket = connect({ port, host, allowHalfOpen: true });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

/** Everything the socket receives until it ends or closes, bounded by `timeout` ms. */
export function collect(socket: Socket, timeout = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error('collect timed out')), timeout);
    socket.on('data', (chunk: Buffer) => parts.push(chunk));
    const done = (): void => {
      clearTimeout(timer);
      resolve(Buffer.concat(parts));
    };
    socket.once('end', done);
    socket.once('close', done);
  });
}

/** Reads exactly `n` bytes from a client socket, bounded by `timeout` ms. */
export function receive(socket: Socket, n: number, timeout = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('end', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(parts));
    };
    const onData = (chunk: Buffer): void => {
      parts.push(chunk);
      got += chunk.byteLength;
      if (got >= n) finish();
    };
    const onClose = (): void => finish(new Error(`closed after ${got} of ${n} bytes`));
    const timer = setTimeout(
      () => finish(new Error(`timed out after ${got} of ${n} bytes`)),
      timeout,
    );
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('end', onClose);
  });
}

/** Polls `condition` every 10 ms for at most `timeout` ms; throws if it never holds. */
export async function waitFor(
  condition: () => boolean,
  timeout = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`waitFor: ${what} did not hold within ${timeout} ms`);
    await sleep(10);
  }
}

/** Resolves when the server has hung up on a client socket (its end or a reset), bounded. */
export async function closed(socket: Socket, timeout = 5_000): Promise<void> {
  socket.resume(); // read (and drop) what is left, so the end is seen
  await waitFor(() => socket.readableEnded || socket.destroyed, timeout, 'server hung up');
}

/** Bytes 0..n-1 of a deterministic pattern. */
export function pattern(n: number, seed = 1): Buffer {
  const bytes = Buffer.allocUnsafe(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}
