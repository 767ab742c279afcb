/** `recvInto` (the recipe's `recv_into`) and `recvArray` (a `.npy` array). */
import { constants as bufferConstants } from 'node:buffer';
import type { Readable } from 'node:stream';
import { BulkReceiver, bulkSource } from './bulk-receiver.js';
import { type ByteSource, ReaderSource } from './byte-source.js';
import { receiveInOrder } from './call-order.js';
import { type DtypeName, type NumericArray, needsSwap, parseDescr, swapInPlace } from './dtype.js';
import {
  ArrayTooLargeError,
  FortranOrderError,
  InvalidArgumentError,
  TransferInterruptedError,
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
function sourceOf(source: ReceiveSource): ByteSource {
  return source instanceof BulkReceiver ? bulkSource(source) : new ReaderSource(source);
}

/** Runs `body` on a source; closes the connection when the call stops mid-message. */
function withSource<T>(
  socket: ReceiveSource,
  body: (source: ByteSource) => Promise<T>,
  untouched: (error: unknown) => boolean,
): Promise<T> {
  try {
    checkSource(socket);
  } catch (error) {
    return Promise.reject(error);
  }
  return receiveInOrder(socket, async () => {
    const source = sourceOf(socket);
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
function headerUntouched(error: unknown): boolean {
  return (
    error instanceof TransferInterruptedError &&
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
    error instanceof TransferInterruptedError &&
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

/**
 * Receives one array in NumPy's `.npy` format (what `np.save` writes), allocating it only
 * after checking its size against `maxBytes`. Bytes after the array stay in the stream
 * for the next call. Big-endian data is byte-swapped in place to native order.
 */
export function recvArray(
  socket: ReceiveSource,
  options: RecvArrayOptions = {},
): Promise<ReceivedArray> {
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
      if (headerLength > maxHeaderBytes) {
        throw new ArrayTooLargeError(
          '.npy header',
          BigInt(headerLength),
          maxHeaderBytes,
          'maxHeaderBytes',
        );
      }
      const headerBytes = await source.readExactly(headerLength, ctx, {
        phase: 'header',
        before,
        expected: before + headerLength,
      });
      const header = parseHeader(headerBytes, major);
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
      if (bytes > BigInt(maxBytes))
        throw new ArrayTooLargeError('Array', bytes, maxBytes, 'maxBytes');
      const shape = header.shape.map(Number);
      const length = Number(elements);
      const reuse = options.buffer;
      const buffer =
        reuse !== undefined && reuse.byteLength >= Number(bytes)
          ? reuse
          : new ArrayBuffer(Number(bytes));
      const body = new Uint8Array(buffer, 0, Number(bytes));
      await source.fill(body, ctx);
      if (needsSwap(dtype)) swapInPlace(body, dtype.info.itemSize);
      const array = new dtype.info.ctor(buffer, 0, length);
      return { array, dtype: dtype.info.name, shape, descr: header.descr };
    },
    headerUntouched,
  );
}
