/** `recvInto` (the recipe's `recv_into`) and `recvArray` (a `.npy` array). */
import { constants as bufferConstants } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { StreamReaderOptions } from '@net/stream-reader';
import { BulkReceiver, bulkSource } from './bulk-receiver.js';
import { type ByteSource, ReaderSource } from './byte-source.js';
import { receiveInOrder } from './call-order.js';
import {
  type Dtype,
  type DtypeName,
  type NumericArray,
  needsSwap,
  parseDescr,
  swapInPlace,
} from './dtype.js';
import {
  ArrayTooLargeError,
  FortranOrderError,
  InvalidArgumentError,
  isTransferInterruption,
  UnsupportedDtypeError,
} from './errors.js';
import {
  isStructuredDescr,
  PRELUDE_LENGTH,
  parseHeader,
  parseHeaderLength,
  parsePrelude,
} from './npy-header.js';
import {
  BULK_TRANSFER_DEFAULTS,
  bytesOf,
  type CallContext,
  callContext,
  checkInteger,
  type RecvArrayOptions,
  type TransferOptions,
} from './options.js';

/** What `recvArray` and `recvInto` read from: any byte stream, or a zero-copy {@link BulkReceiver}. */
export type ReceiveSource = Readable | BulkReceiver;

/** An array received by `recvArray`. */
export interface ReceivedArray {
  /** The elements, in native byte order, in a typed array of their own (C order). */
  array: NumericArray;
  /** NumPy name of the element type: `'float64'`, `'int32'`, `'bool'` (a `Uint8Array`), ... */
  dtype: DtypeName;
  /** The dimensions; `[]` for a 0-d array (one element). */
  shape: number[];
  /** The dtype exactly as the header announced it (`'>i4'`, `'<f8'`, `'|b1'`). */
  descr: string;
}

/** Checks `source` (before a call waits in line), so that the call can fail at once. */
function checkSource(source: ReceiveSource): void {
  if (source instanceof BulkReceiver) return;
  if (
    source === null ||
    typeof source !== 'object' ||
    typeof (source as Readable).on !== 'function'
  ) {
    throw new InvalidArgumentError(
      'socket must be a net.Socket (or any Readable) or a BulkReceiver',
    );
  }
}

/** Starts reading `source`; only once the call's turn has come. */
function sourceOf(source: ReceiveSource, readerOptions?: StreamReaderOptions): ByteSource {
  return source instanceof BulkReceiver
    ? bulkSource(source)
    : new ReaderSource(source, readerOptions);
}

/** Runs `body` on a source; closes the connection when the call stops mid-message. */
export function withSource<T>(
  socket: ReceiveSource,
  body: (source: ByteSource) => Promise<T>,
  untouched: (error: unknown) => boolean,
  readerOptions?: StreamReaderOptions,
): Promise<T> {
  try {
    checkSource(socket);
  } catch (error) {
    return Promise.reject(error);
  }
  return receiveInOrder(socket, async () => {
    const source = sourceOf(socket, readerOptions);
    try {
      const result = await body(source);
      source.finish(true);
      return result;
    } catch (error) {
      source.finish(untouched(error));
      throw error;
    }
  });
}

/**
 * True when a call failed before consuming any byte (a timeout or abort while waiting for
 * the first bytes of a header, which stay unread), so the connection is still in step.
 */
export function headerUntouched(error: unknown): boolean {
  return (
    isTransferInterruption(error) &&
    error.code !== 'ERR_TRANSFER_INCOMPLETE' &&
    error.phase === 'header' &&
    error.expected === PRELUDE_LENGTH
  );
}

/**
 * Fills `view` (any typed array, `DataView` or `Buffer`) completely and in place with the
 * next `view.byteLength` bytes, like the recipe's `recv_into` loop. Resolves with the byte
 * count. If the transfer is cut short it fails with `TransferInterruptedError`, whose
 * `bytesTransferred` bytes are at the start of `view`; nothing past them is written.
 */
export async function recvInto(
  socket: ReceiveSource,
  view: ArrayBufferView,
  options: TransferOptions = {},
): Promise<number> {
  const target = bytesOf(view);
  const ctx = callContext(options);
  // A timeout or abort before the first byte leaves the stream in step.
  const untouched = (error: unknown) =>
    isTransferInterruption(error) &&
    error.code !== 'ERR_TRANSFER_INCOMPLETE' &&
    error.bytesTransferred === 0;
  return withSource(
    socket,
    async (source) => {
      await source.fill(target, ctx);
      return target.byteLength;
    },
    untouched,
  );
}

/** A `.npy` header that was read and checked: what the body will hold, and its size. */
export interface ArrayHeader {
  descr: string;
  dtype: Dtype;
  shape: number[];
  /** Element count. */
  length: number;
  /** Body size in bytes: `length × itemSize`, exact. */
  bytes: number;
}

/** Size limits a header is checked against before anything is allocated. */
export interface HeaderLimits {
  maxBytes: number;
  maxHeaderBytes: number;
}

/**
 * Reads and checks one `.npy` header: magic, version, length, dictionary, dtype, order, and
 * the body size against `maxBytes` (computed exactly as a bigint, so nothing is allocated
 * for a hostile size). The body's bytes stay unread.
 */
export async function readArrayHeader(
  source: ByteSource,
  ctx: CallContext,
  limits: HeaderLimits,
  onHeaderRead?: () => void,
): Promise<ArrayHeader> {
  const prelude = await source.readExactly(PRELUDE_LENGTH, ctx, {
    phase: 'header',
    before: 0,
    expected: PRELUDE_LENGTH,
  });
  const { major, lengthSize } = parsePrelude(prelude);
  let before = PRELUDE_LENGTH;
  const lengthBytes = await source.readExactly(lengthSize, ctx, {
    phase: 'header',
    before,
    expected: before + lengthSize,
  });
  before += lengthSize;
  const headerLength = parseHeaderLength(lengthBytes);
  if (headerLength > limits.maxHeaderBytes) {
    throw new ArrayTooLargeError(
      '.npy header',
      BigInt(headerLength),
      limits.maxHeaderBytes,
      'maxHeaderBytes',
    );
  }
  const headerBytes = await source.readExactly(headerLength, ctx, {
    phase: 'header',
    before,
    expected: before + headerLength,
  });
  const header = parseHeader(headerBytes, major);
  onHeaderRead?.();
  if (isStructuredDescr(header.descr)) {
    throw new UnsupportedDtypeError(
      header.descr,
      'structured dtypes (records with named fields) are not supported',
    );
  }
  const dtype = parseDescr(header.descr);
  if (header.fortranOrder) throw new FortranOrderError();
  let elements = 1n;
  for (const dim of header.shape) elements *= dim;
  const bytes = elements * BigInt(dtype.info.itemSize);
  if (bytes > BigInt(limits.maxBytes)) {
    throw new ArrayTooLargeError('Array', bytes, limits.maxBytes, 'maxBytes');
  }
  return {
    descr: header.descr,
    dtype,
    shape: header.shape.map(Number),
    length: Number(elements),
    bytes: Number(bytes),
  };
}

/**
 * Reads the body announced by `header` into `reuse` (when it fits) or a new `ArrayBuffer`
 * allocated now, and byte-swaps big-endian data in place.
 */
export async function readArrayBody(
  source: ByteSource,
  header: ArrayHeader,
  ctx: CallContext,
  reuse?: ArrayBuffer,
): Promise<ReceivedArray> {
  const { bytes, dtype } = header;
  const buffer = reuse !== undefined && reuse.byteLength >= bytes ? reuse : new ArrayBuffer(bytes);
  const body = new Uint8Array(buffer, 0, bytes);
  await source.fill(body, ctx);
  if (needsSwap(dtype)) swapInPlace(body, dtype.info.itemSize);
  const array = new dtype.info.ctor(buffer, 0, header.length);
  return { array, dtype: dtype.info.name, shape: header.shape, descr: header.descr };
}

/**
 * True for a stream that ended cleanly before the first byte of the next message: the
 * peer closed between arrays (a reset or an error is not a clean end).
 */
function isCleanEnd(error: unknown): boolean {
  if (!isTransferInterruption(error)) return false;
  if (error.code !== 'ERR_TRANSFER_INCOMPLETE' || error.bytesTransferred !== 0) return false;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return cause === undefined || cause.code === 'ERR_STREAM_EOF';
}

/**
 * Receives one array in NumPy's `.npy` format (what `np.save` writes), allocating it only
 * after checking its size against `maxBytes`. Bytes after the array stay in the stream
 * for the next call. Big-endian data is byte-swapped in place to native order. Resolves
 * with `null` when the stream ended cleanly before the next array's first byte (the peer
 * is done), as `readFrame` does; a stream cut inside an array is `ERR_TRANSFER_INCOMPLETE`.
 */
export function recvArray(
  socket: ReceiveSource,
  options: RecvArrayOptions = {},
): Promise<ReceivedArray | null> {
  let ctx: CallContext;
  let maxBytes: number;
  let maxHeaderBytes: number;
  try {
    ctx = callContext(options);
    maxBytes = options.maxBytes ?? BULK_TRANSFER_DEFAULTS.maxBytes;
    maxHeaderBytes = options.maxHeaderBytes ?? BULK_TRANSFER_DEFAULTS.maxHeaderBytes;
    checkInteger('maxBytes', maxBytes, 0, bufferConstants.MAX_LENGTH);
    checkInteger('maxHeaderBytes', maxHeaderBytes, 1, 2 ** 32 - 1);
    if (options.buffer !== undefined && !(options.buffer instanceof ArrayBuffer)) {
      throw new InvalidArgumentError('buffer must be an ArrayBuffer');
    }
  } catch (error) {
    return Promise.reject(error);
  }
  return withSource(
    socket,
    async (source) => {
      let header: ArrayHeader;
      try {
        header = await readArrayHeader(source, ctx, { maxBytes, maxHeaderBytes });
      } catch (error) {
        if (isCleanEnd(error)) return null;
        throw error;
      }
      return readArrayBody(source, header, ctx, options.buffer);
    },
    headerUntouched,
  );
}
