/**
 * Error classes of `@net/bulk-transfer`. Each extends {@link NetError} (from
 * `@net/stream-reader`) with a stable `code`; branch on `code`, not on the message.
 */
import { InvalidArgumentError, NetError } from '@net/stream-reader';

export { InvalidArgumentError, NetError };

/** Why a transfer stopped before its last byte. */
export type InterruptionCode = 'ERR_TRANSFER_INCOMPLETE' | 'ERR_TIMEOUT' | 'ERR_ABORTED';

/** Where and how a transfer stopped, for {@link TransferInterruptedError}. */
export interface InterruptionDetails {
  direction: 'receive' | 'send';
  /** `'header'` while a `.npy` header was being read, else `'body'`. */
  phase: 'header' | 'body';
  bytesTransferred: number;
  expected: number;
  cause?: unknown;
}

/**
 * A send or receive stopped before all bytes were transferred: the peer closed or reset
 * the connection (`ERR_TRANSFER_INCOMPLETE`), the call's `timeout` elapsed
 * (`ERR_TIMEOUT`) or its `signal` was aborted (`ERR_ABORTED`). `bytesTransferred` says how
 * many bytes arrived (or were handed to the kernel, when sending) of the part named by
 * `phase`; a receiver's view holds exactly those bytes at its start and nothing past them
 * was written. A connection that stopped mid-message is closed.
 */
export class TransferInterruptedError extends NetError {
  /** `'send'` or `'receive'`. */
  readonly direction: 'receive' | 'send';
  /** `'header'` (of a `.npy` array) or `'body'` (the array data, or a raw buffer). */
  readonly phase: 'header' | 'body';
  /** Bytes of `phase` that arrived (receiving) or were written (sending). */
  readonly bytesTransferred: number;
  /** Bytes `phase` has in all, when known (a header's length is known after its first bytes). */
  readonly expected: number;

  constructor(code: InterruptionCode, details: InterruptionDetails) {
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
    super(
      code,
      `Transfer cut short: ${bytesTransferred} of ${expected} ${phase} bytes ${verb} before ${why}; ` +
        'a connection that stopped mid-message is closed: reconnect and transfer again',
      { cause: details.cause },
    );
    this.direction = direction;
    this.phase = phase;
    this.bytesTransferred = bytesTransferred;
    this.expected = expected;
  }
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

/** The announced array (or header) is larger than the limit the caller set; nothing was allocated. */
export class ArrayTooLargeError extends NetError {
  /** The announced size in bytes (a bigint, since it may exceed 2^53). */
  readonly bytes: bigint;
  /** The limit in force, in bytes. */
  readonly maxBytes: number;

  constructor(what: string, bytes: bigint, maxBytes: number, option: string) {
    super(
      'ERR_ARRAY_TOO_LARGE',
      `${what} of ${bytes} bytes exceeds ${option} (${maxBytes}); raise ${option} if this is expected, otherwise the peer is misbehaving`,
    );
    this.bytes = bytes;
    this.maxBytes = maxBytes;
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
