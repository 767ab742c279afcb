/**
 * Error classes of `@net/bulk-transfer`. Each extends {@link NetError} (from `@net/core`)
 * with a stable `code`; branch on `code`, not on the message. Shared conditions use
 * core's classes: timeouts are `TimeoutError`s (`ERR_TIMEOUT`), aborts `AbortedError`s
 * (`ERR_ABORTED`), bad arguments `InvalidArgumentError`s (`ERR_INVALID_ARGUMENT`).
 */
import { AbortedError, InvalidArgumentError, NetError, TimeoutError } from '@net/core';

export { AbortedError, InvalidArgumentError, NetError, TimeoutError };

/** Why a transfer stopped before its last byte. */
export type InterruptionCode = 'ERR_TRANSFER_INCOMPLETE' | 'ERR_TIMEOUT' | 'ERR_ABORTED';

/** Where and how a transfer stopped, for {@link TransferInterruptedError} and its timeout and abort twins. */
export interface InterruptionDetails {
  /** `'send'` or `'receive'`. */
  direction: 'receive' | 'send';
  /** `'header'` while a `.npy` header was being read, else `'body'`. */
  phase: 'header' | 'body';
  /** Bytes of `phase` moved before the transfer stopped. */
  bytesTransferred: number;
  /** Bytes `phase` has in all, when known. */
  expected: number;
  /** The socket error or abort reason behind it, if any; becomes the error's `cause`. */
  cause?: unknown;
}

/** The fields every interrupted transfer reports, whatever stopped it. */
export interface TransferInterruption {
  /** `'send'` or `'receive'`. */
  readonly direction: 'receive' | 'send';
  /** `'header'` (of a `.npy` array) or `'body'` (the array data, or a raw buffer). */
  readonly phase: 'header' | 'body';
  /** Bytes of `phase` that arrived (receiving) or were written (sending). */
  readonly bytesTransferred: number;
  /** Bytes `phase` has in all, when known (a header's length is known after its first bytes). */
  readonly expected: number;
}

function interruptionMessage(code: InterruptionCode, details: InterruptionDetails): string {
  const { direction, phase, bytesTransferred, expected } = details;
  const why =
    code === 'ERR_TIMEOUT'
      ? 'the call timed out'
      : code === 'ERR_ABORTED'
        ? 'the call was aborted by its signal'
        : direction === 'receive'
          ? 'the peer closed or reset the connection'
          : 'the connection closed or failed';
  const verb = direction === 'receive' ? 'arrived' : 'were sent';
  return (
    `Transfer cut short: ${bytesTransferred} of ${expected} ${phase} bytes ${verb} before ${why}; ` +
    'a connection that stopped mid-message is closed: reconnect and transfer again'
  );
}

function assignDetails(target: TransferInterruption, details: InterruptionDetails): void {
  const writable = target as {
    -readonly [K in keyof TransferInterruption]: TransferInterruption[K];
  };
  writable.direction = details.direction;
  writable.phase = details.phase;
  writable.bytesTransferred = details.bytesTransferred;
  writable.expected = details.expected;
}

/**
 * A send or receive stopped before all bytes were transferred because the peer closed or
 * reset the connection (`ERR_TRANSFER_INCOMPLETE`). `bytesTransferred` says how many bytes
 * arrived (or were handed to the kernel, when sending) of the part named by `phase`; a
 * receiver's view holds exactly those bytes at its start and nothing past them was
 * written. A call's `timeout` is a {@link TransferTimeoutError} (`ERR_TIMEOUT`), its
 * `signal` a {@link TransferAbortedError} (`ERR_ABORTED`), with the same fields. A
 * connection that stopped mid-message is closed.
 */
export class TransferInterruptedError extends NetError implements TransferInterruption {
  declare readonly direction: 'receive' | 'send';
  declare readonly phase: 'header' | 'body';
  declare readonly bytesTransferred: number;
  declare readonly expected: number;

  constructor(details: InterruptionDetails) {
    super('ERR_TRANSFER_INCOMPLETE', interruptionMessage('ERR_TRANSFER_INCOMPLETE', details), {
      cause: details.cause,
    });
    assignDetails(this, details);
  }
}

/** A send or receive ran past its `timeout` (`ERR_TIMEOUT`, a core `TimeoutError`); see {@link TransferInterruptedError}. */
export class TransferTimeoutError extends TimeoutError implements TransferInterruption {
  declare readonly direction: 'receive' | 'send';
  declare readonly phase: 'header' | 'body';
  declare readonly bytesTransferred: number;
  declare readonly expected: number;

  constructor(timeout: number, details: InterruptionDetails) {
    super(timeout, interruptionMessage('ERR_TIMEOUT', details));
    if (details.cause !== undefined) this.cause = details.cause;
    assignDetails(this, details);
  }
}

/** A send or receive was stopped by its `signal` (`ERR_ABORTED`, a core `AbortedError`); see {@link TransferInterruptedError}. */
export class TransferAbortedError extends AbortedError implements TransferInterruption {
  declare readonly direction: 'receive' | 'send';
  declare readonly phase: 'header' | 'body';
  declare readonly bytesTransferred: number;
  declare readonly expected: number;

  constructor(details: InterruptionDetails) {
    super(interruptionMessage('ERR_ABORTED', details), details.cause);
    assignDetails(this, details);
  }
}

/** The error for a transfer that stopped for reason `code`. */
export function interruption(
  code: InterruptionCode,
  details: InterruptionDetails,
  timeout = 0,
): TransferInterruptedError | TransferTimeoutError | TransferAbortedError {
  if (code === 'ERR_TIMEOUT') return new TransferTimeoutError(timeout, details);
  if (code === 'ERR_ABORTED') return new TransferAbortedError(details);
  return new TransferInterruptedError(details);
}

/** True for the error of any interrupted transfer (cut short, timed out or aborted). */
export function isTransferInterruption(
  error: unknown,
): error is TransferInterruptedError | TransferTimeoutError | TransferAbortedError {
  return (
    error instanceof TransferInterruptedError ||
    error instanceof TransferTimeoutError ||
    error instanceof TransferAbortedError
  );
}

/** A `.npy` header is malformed: bad magic string, unknown version, unparseable or incomplete dictionary. */
export class NpyHeaderError extends NetError {
  constructor(detail: string, cause?: unknown) {
    super(
      'ERR_NPY_HEADER',
      `Invalid .npy header: ${detail}; the peer is not sending NumPy .npy data (np.save) or the stream is out of step`,
      { cause },
    );
  }
}

/** The array's dtype is not one this package reads or writes (object, structured, complex, ...). */
export class UnsupportedDtypeError extends NetError {
  /** The dtype description as it appeared in the header (or the view's type when sending). */
  readonly dtype: string;

  constructor(dtype: string, detail: string) {
    super(
      'ERR_UNSUPPORTED_DTYPE',
      `Unsupported dtype ${dtype}: ${detail}; send plain numeric or bool arrays (int8..int64, uint8..uint64, float16/32/64, bool)`,
    );
    this.dtype = dtype;
  }
}

/** The header says `fortran_order: True`; only C-order arrays are read. */
export class FortranOrderError extends NetError {
  constructor() {
    super(
      'ERR_FORTRAN_ORDER',
      'The array is in Fortran (column-major) order; send np.ascontiguousarray(a) so it arrives in C order',
    );
  }
}

/**
 * The announced array (or header) is larger than a limit in force (`maxBytes`,
 * `maxHeaderBytes`, or a server's `memoryBudget`); nothing was allocated.
 */
export class ArrayTooLargeError extends NetError {
  /** The announced size in bytes (a bigint, since it may exceed 2^53). */
  readonly bytes: bigint;
  /** The limit in force, in bytes. */
  readonly maxBytes: number;
  /** The option that set the limit: `'maxBytes'`, `'maxHeaderBytes'` or `'memoryBudget'`. */
  readonly option: string;

  constructor(what: string, bytes: bigint, maxBytes: number, option: string) {
    super(
      'ERR_ARRAY_TOO_LARGE',
      `${what} of ${bytes} bytes exceeds ${option} (${maxBytes}); raise ${option} if this is expected, otherwise the peer is misbehaving`,
    );
    this.bytes = bytes;
    this.maxBytes = maxBytes;
    this.option = option;
  }
}

/**
 * A bulk server's memory budget had no room for an announced array within
 * `admissionTimeout` ms (`ERR_TIMEOUT`, a core `TimeoutError`). Nothing was allocated and
 * the connection was closed; the client may retry later.
 */
export class AdmissionTimeoutError extends TimeoutError {
  /** The array's size in bytes. */
  readonly bytes: number;
  /** The server's `memoryBudget`, in bytes. */
  readonly memoryBudget: number;
  /** Bytes of the budget in use when the wait ended. */
  readonly memoryInUse: number;

  constructor(timeout: number, bytes: number, memoryBudget: number, memoryInUse: number) {
    super(
      timeout,
      `An array of ${bytes} bytes waited ${timeout} ms (admissionTimeout) for room in the memory budget ` +
        `(${memoryInUse} of ${memoryBudget} bytes in use) and was refused; retry later, or raise ` +
        'memoryBudget or admissionTimeout if the server has the memory',
    );
    this.bytes = bytes;
    this.memoryBudget = memoryBudget;
    this.memoryInUse = memoryInUse;
  }
}

/** `connectForBulk` could not connect; `cause` holds the socket error (for example `ECONNREFUSED`). */
export class BulkConnectError extends NetError {
  constructor(cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      'ERR_CONNECT_FAILED',
      `Could not connect for bulk transfer: ${detail}; check the address and that the peer listens`,
      {
        cause,
      },
    );
  }
}
