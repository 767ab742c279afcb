import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import {
  type BulkReceiver,
  connectForBulk,
  type DtypeName,
  type NumericArray,
  type ReceivedArray,
  recvArray,
} from '../src/index.js';

/** Sockets, servers and receivers to close after each test. */
export function cleanupList() {
  const items: Array<() => void> = [];
  return {
    add(fn: () => void) {
      items.push(fn);
    },
    run() {
      for (const fn of items.splice(0)) fn();
    },
  };
}

/** A server on 127.0.0.1:0 whose accepted sockets go to `onSocket`. */
export async function listen(
  onSocket: (socket: Socket) => void,
): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

/**
 * A connected pair on loopback: `peer` is the accepted socket that plays the other side,
 * `local` is what the test receives from, either the connecting plain socket (the
 * `StreamReader` path) or a `BulkReceiver` (the zero-copy path).
 */
export async function socketPair(kind: 'socket' | 'receiver'): Promise<{
  local: Socket | BulkReceiver;
  localSocket: Socket;
  peer: Socket;
  close: () => void;
}> {
  let accept!: (socket: Socket) => void;
  const accepted = new Promise<Socket>((resolve) => {
    accept = resolve;
  });
  const { server, port } = await listen((socket) => accept(socket));
  // The accepted socket is the one the test receives on when kind is 'socket', so that
  // the StreamReader path is tested on accepted sockets (the path that copies once).
  const receiver =
    kind === 'receiver' ? await connectForBulk({ port, host: '127.0.0.1' }) : undefined;
  const other =
    receiver === undefined ? (await import('node:net')).connect(port, '127.0.0.1') : undefined;
  other?.on('error', () => undefined);
  const acceptedSocket = await accepted;
  server.close();
  if (receiver !== undefined) {
    return {
      local: receiver,
      localSocket: receiver.socket,
      peer: acceptedSocket,
      close: () => {
        receiver.socket.destroy();
        acceptedSocket.destroy();
      },
    };
  }
  await once(other!, 'connect').catch(() => undefined);
  return {
    local: acceptedSocket,
    localSocket: acceptedSocket,
    peer: other!,
    close: () => {
      other!.destroy();
      acceptedSocket.destroy();
    },
  };
}

/** A PassThrough already holding `bytes` and ended (or left open). */
export function streamOf(bytes: Uint8Array, end = true): PassThrough {
  const stream = new PassThrough();
  stream.write(bytes);
  if (end) stream.end();
  return stream;
}

/** Collects everything written to a PassThrough. */
export function collect(stream: PassThrough): () => Buffer {
  const parts: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => parts.push(chunk));
  return () => Buffer.concat(parts);
}

/** Builds a `.npy` file by hand (independently of the package's encoder). */
export function npyBytes(dict: string, body: Uint8Array, major = 1): Buffer {
  const lengthSize = major === 1 ? 2 : 4;
  const pad = (64 - ((8 + lengthSize + Buffer.byteLength(dict) + 1) % 64)) % 64;
  const header = Buffer.from(`${dict}${' '.repeat(pad)}\n`, major === 3 ? 'utf8' : 'latin1');
  const prelude = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const length = Buffer.alloc(lengthSize);
  if (lengthSize === 2) length.writeUInt16LE(header.byteLength);
  else length.writeUInt32LE(header.byteLength);
  return Buffer.concat([prelude, length, header, body]);
}

const MULTIPLIER: Record<number, bigint> = {
  1: 1n,
  2: 257n,
  4: 0x01010101n,
  8: 0x0101010101010101n,
};
const SIZE: Record<DtypeName, number> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float16: 2,
  float32: 4,
  float64: 8,
};

/** The value the interop peer puts at flat index `i` (see npy_peer.py). */
export function expectedValue(dtype: DtypeName, i: number): number | bigint | boolean {
  const base = (i * 7 + 3) % 100;
  const size = SIZE[dtype];
  if (dtype === 'bool') return i % 3 === 0;
  if (dtype.startsWith('uint')) {
    const v = BigInt(base) * MULTIPLIER[size]!;
    return size === 8 ? v : Number(v);
  }
  if (dtype.startsWith('int')) {
    const v = BigInt(base - 50) * MULTIPLIER[size]!;
    return size === 8 ? v : Number(v);
  }
  return (base - 50) / 4;
}

/** Half-precision bits to a number (Node 22 has no Float16Array). */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A number exactly representable in half precision (normal range) to its bits. */
export function numberToHalf(value: number): number {
  if (value === 0) return Object.is(value, -0) ? 0x8000 : 0;
  const sign = value < 0 ? 0x8000 : 0;
  const abs = Math.abs(value);
  const exponent = Math.floor(Math.log2(abs));
  const fraction = Math.round((abs / 2 ** exponent - 1) * 1024);
  return sign | ((exponent + 15) << 10) | fraction;
}

/** The element at `i` as a plain value, whatever typed array holds it. */
export function elementOf(
  array: NumericArray,
  dtype: DtypeName,
  i: number,
): number | bigint | boolean {
  const raw = array[i]!;
  if (dtype === 'bool') return raw !== 0;
  if (dtype === 'float16' && array instanceof Uint16Array) return halfToNumber(raw as number);
  return raw;
}

/** Builds the array the interop peer expects, in Node, with `n` elements. */
export function makeArray(dtype: DtypeName, n: number): NumericArray {
  const ctor = {
    bool: Uint8Array,
    int8: Int8Array,
    uint8: Uint8Array,
    int16: Int16Array,
    uint16: Uint16Array,
    int32: Int32Array,
    uint32: Uint32Array,
    int64: BigInt64Array,
    uint64: BigUint64Array,
    float16: Uint16Array,
    float32: Float32Array,
    float64: Float64Array,
  }[dtype];
  const array = new ctor(n) as NumericArray;
  for (let i = 0; i < n; i++) {
    const v = expectedValue(dtype, i);
    (array as unknown as Array<number | bigint>)[i] =
      dtype === 'bool'
        ? v
          ? 1
          : 0
        : dtype === 'float16'
          ? numberToHalf(v as number)
          : (v as number | bigint);
  }
  return array;
}

/** `recvArray` where the test expects an array: a clean end (`null`) fails the test. */
export async function recvOne(...args: Parameters<typeof recvArray>): Promise<ReceivedArray> {
  const got = await recvArray(...args);
  if (got === null) throw new Error('expected an array, but the stream ended cleanly');
  return got;
}
