import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';

/** A PassThrough fed `chunks` one at a time, so each arrives as its own 'data' event. */
export function sourceOf(chunks: Uint8Array[], { end = true } = {}): PassThrough {
  const source = new PassThrough();
  for (const chunk of chunks) source.write(chunk);
  if (end) source.end();
  return source;
}

/** Splits `bytes` at the given offsets. */
export function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const offset of [...offsets, bytes.byteLength]) {
    chunks.push(bytes.subarray(start, offset));
    start = offset;
  }
  return chunks.filter((chunk) => chunk.byteLength > 0);
}

export function frame(body: Uint8Array | string, headerSize = 4, littleEndian = false): Buffer {
  const data = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  const header = Buffer.alloc(headerSize);
  if (headerSize === 1) header.writeUInt8(data.byteLength);
  else if (headerSize === 2)
    littleEndian ? header.writeUInt16LE(data.byteLength) : header.writeUInt16BE(data.byteLength);
  else if (headerSize === 4)
    littleEndian ? header.writeUInt32LE(data.byteLength) : header.writeUInt32BE(data.byteLength);
  else
    littleEndian
      ? header.writeBigUInt64LE(BigInt(data.byteLength))
      : header.writeBigUInt64BE(BigInt(data.byteLength));
  return Buffer.concat([header, data]);
}

/** Deterministic pseudo-random bytes, so a failing case can be reproduced. */
export function patternBytes(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

/** Settles with the rejection of `promise`, failing if it resolves. */
export async function rejectionOf(
  promise: Promise<unknown>,
): Promise<Error & Record<string, unknown>> {
  try {
    const value = await promise;
    throw new Error(`expected a rejection, got ${String(value)}`);
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
}

/** A loopback TCP server on an ephemeral port and a connected client socket. */
export async function tcpPair(): Promise<{
  server: Server;
  client: Socket;
  peer: Socket;
  close: () => Promise<void>;
}> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect(address.port, '127.0.0.1');
  const [[peer]] = await Promise.all([accepted, once(client, 'connect')]);
  client.on('error', () => undefined);
  peer.on('error', () => undefined);
  return {
    server,
    client,
    peer,
    close: async () => {
      client.destroy();
      peer.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
