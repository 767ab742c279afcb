import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import { afterEach, expect } from 'vitest';

export const KEY = Buffer.from('peekaboo-0123456789-secret');
export const WRONG_KEY = Buffer.from('not-the-key-9876543210-wrong');

/** Two in-memory Duplex streams wired to each other, like a socket pair. */
export function memoryPair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  const make = (peer: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk, _encoding, callback) {
        peer().push(chunk);
        callback();
      },
      final(callback) {
        peer().push(null);
        callback();
      },
      destroy(error, callback) {
        peer().push(null); // the peer sees the end of the stream, as over TCP
        callback(error);
      },
    });
  sides.push(
    make(() => sides[1] as Duplex),
    make(() => sides[0] as Duplex),
  );
  return sides as [Duplex, Duplex];
}

/** A connected loopback TCP pair; `close()` destroys both ends and the server. */
export async function tcpPair(): Promise<{ client: Socket; server: Socket; close(): void }> {
  const listener: Server = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as { port: number };
  const accepted = once(listener, 'connection');
  const client = connect(port, '127.0.0.1');
  const connected = once(client, 'connect');
  const [server] = (await accepted) as [Socket];
  await connected;
  client.on('error', () => undefined);
  server.on('error', () => undefined);
  return {
    client,
    server,
    close() {
      client.destroy();
      server.destroy();
      listener.close();
    },
  };
}

/** Settles with the rejection of `promise`, failing if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    const value = await promise;
    throw new Error(`expected a rejection, got ${String(value)}`);
  } catch (error) {
    return error as Error & { code?: string };
  }
}

/** Fails if `error`, its stack, its causes or its serialised forms contain a key's bytes. */
export function expectNoSecret(error: unknown, ...keys: Buffer[]): void {
  const texts = [inspect(error, { depth: 10, showHidden: true }), JSON.stringify(error)];
  for (let e: unknown = error; e instanceof Error; e = e.cause) texts.push(String(e.stack));
  const all = texts.join('\n');
  for (const key of keys) {
    for (const form of [
      key.toString('utf8'),
      key.toString('hex'),
      key.toString('base64'),
      [...key].join(', '),
    ]) {
      expect(all).not.toContain(form);
    }
  }
}

/** Collects whatever a stream delivers until it ends, bounded by `timeout`. */
export async function readAll(stream: Duplex, timeout = 5_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.resume();
  await Promise.race([
    once(stream, 'end'),
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('readAll timed out')), timeout).unref(),
    ),
  ]);
  return Buffer.concat(chunks);
}

/** A list of cleanups run (and emptied) after each test of the calling file. */
export function cleanupList(): (() => void)[] {
  const list: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of list.splice(0)) cleanup();
  });
  return list;
}

/** `pair(kind)` for a test file: connected pairs destroyed after each test. */
export function pairsForEachTest(): (kind: 'tcp' | 'memory') => Promise<[Duplex, Duplex]> {
  const cleanups = cleanupList();
  return (kind) => connectedPair(kind, cleanups);
}

/** A connected [client, server] pair, destroyed after the test. */
export async function connectedPair(
  kind: 'tcp' | 'memory',
  cleanups: (() => void)[],
): Promise<[Duplex, Duplex]> {
  if (kind === 'memory') {
    const [a, b] = memoryPair();
    cleanups.push(() => {
      a.destroy();
      b.destroy();
    });
    return [a, b];
  }
  const { client, server, close } = await tcpPair();
  cleanups.push(close);
  return [client, server];
}

/** One multiprocessing.connection message: 4-byte big-endian signed length, then the body. */
export function frame(body: Uint8Array | string): Buffer {
  const data = Buffer.from(body);
  const header = Buffer.alloc(4);
  header.writeInt32BE(data.byteLength);
  return Buffer.concat([header, data]);
}
