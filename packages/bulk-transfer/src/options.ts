/** Options of every call of `@net/bulk-transfer`, their defaults and their checks. */
import { constants as bufferConstants } from 'node:buffer';
import type { ConnectForBulkOptions } from './bulk-receiver.js';
import type { DtypeName } from './dtype.js';
import { InvalidArgumentError } from './errors.js';

const MiB = 1024 * 1024;

/** Defaults of every option; the README's tables come from here. */
export const BULK_TRANSFER_DEFAULTS = {
  /** Largest array body `recvArray` accepts, in bytes (256 MiB). */
  maxBytes: 256 * MiB,
  /** Largest `.npy` header dictionary `recvArray` accepts, in bytes (NumPy's own limit). */
  maxHeaderBytes: 10_000,
  /** Milliseconds a whole call may take; 0 means no limit. */
  timeout: 0,
  /** Bytes per write when sending, and between progress reports (4 MiB). */
  chunkSize: 4 * MiB,
  /** Bytes a {@link BulkReceiver} reads ahead while no call is waiting (256 KiB). */
  highWaterMark: 256 * 1024,
} as const satisfies Required<
  // Every option with a default, of every call; `highWaterMark` is connectForBulk's.
  Omit<RecvArrayOptions & SendArrayOptions, 'signal' | 'progress' | 'shape' | 'dtype' | 'buffer'>
> &
  Required<Pick<ConnectForBulkOptions, 'highWaterMark'>>;

/** Called as bytes move: `bytesDone` of `total` body bytes (the `.npy` header is not counted). */
export type ProgressCallback = (bytesDone: number, total: number) => void;

/** Options every transfer accepts. */
export interface TransferOptions {
  /** Milliseconds the whole call may take, then it fails with `ERR_TIMEOUT`; 0 means none. */
  timeout?: number;
  /** Aborting it fails the call with `ERR_ABORTED`. */
  signal?: AbortSignal;
  /** Reports progress at least every `chunkSize` bytes and once at the end. */
  progress?: ProgressCallback;
  /** Bytes per write when sending, and between progress reports when receiving. */
  chunkSize?: number;
}

/** Options of `sendArray`. */
export interface SendArrayOptions extends TransferOptions {
  /** The array's dimensions (C order); their product must equal the element count. Default `[length]`. */
  shape?: readonly number[];
  /** The NumPy dtype to announce; default from the typed array. Use `'bool'` with a `Uint8Array`. */
  dtype?: DtypeName;
}

/** Options of `recvArray`. */
export interface RecvArrayOptions extends TransferOptions {
  /** Largest body accepted, in bytes; checked before anything is allocated. */
  maxBytes?: number;
  /** Largest header dictionary accepted, in bytes. */
  maxHeaderBytes?: number;
  /**
   * Memory to receive into instead of allocating: when the array fits, the result is a
   * view of the start of this buffer (its old contents are overwritten). Reusing one
   * buffer for a stream of arrays saves the cost of mapping fresh pages. When the array
   * does not fit, a new `ArrayBuffer` is allocated as usual.
   */
  buffer?: ArrayBuffer;
}

/** A transfer's settings after defaults and checks. */
export interface CallContext {
  /** `performance.now()` by which the call must end; `Infinity` for none. */
  deadline: number;
  timeout: number;
  signal: AbortSignal | undefined;
  chunkSize: number;
  progress: ProgressCallback | undefined;
}

/** Applies defaults to the options every call shares, and checks them. */
export function callContext(options: TransferOptions): CallContext {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('options must be an object');
  }
  const timeout = options.timeout ?? BULK_TRANSFER_DEFAULTS.timeout;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
    throw new InvalidArgumentError(
      `timeout must be a finite number of milliseconds >= 0 (0 = none), got ${timeout}`,
    );
  }
  const chunkSize = options.chunkSize ?? BULK_TRANSFER_DEFAULTS.chunkSize;
  checkInteger('chunkSize', chunkSize, 1, bufferConstants.MAX_LENGTH);
  if (options.progress !== undefined && typeof options.progress !== 'function') {
    throw new InvalidArgumentError('progress must be a function (bytesDone, total) => void');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('signal must be an AbortSignal');
  }
  return {
    deadline: timeout > 0 ? performance.now() + timeout : Number.POSITIVE_INFINITY,
    timeout,
    signal: options.signal,
    chunkSize,
    progress: options.progress,
  };
}

/** Milliseconds left before the call's deadline (at least 1), or 0 when it has none. */
export function remaining(ctx: CallContext): number {
  if (ctx.deadline === Number.POSITIVE_INFINITY) return 0;
  return Math.max(1, Math.ceil(ctx.deadline - performance.now()));
}

/** Throws unless `value` is an integer in `[min, max]`. */
export function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `${name} must be an integer from ${min} to ${max}, got ${value}`,
    );
  }
}

/** The bytes of any ArrayBufferView, as a Uint8Array over the same memory (no copy). */
export function bytesOf(view: ArrayBufferView, name = 'view'): Uint8Array {
  if (!ArrayBuffer.isView(view)) {
    throw new InvalidArgumentError(
      `${name} must be an ArrayBufferView (a typed array or DataView)`,
    );
  }
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
