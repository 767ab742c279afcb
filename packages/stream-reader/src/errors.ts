/**
 * Error classes for `@net/stream-reader`. {@link NetError}, the base class every `@net/*`
 * package extends, lives in `@net/core` and is re-exported here for compatibility.
 */
import {
  AbortedError,
  InvalidArgumentError,
  NetError,
  type NetErrorOptions,
  TimeoutError,
} from '@net/core';

export { InvalidArgumentError, NetError, type NetErrorOptions };

/** The stream ended (or closed) before the requested bytes arrived. */
export class StreamEOFError extends NetError {
  /** The bytes this call received before the end of the stream. */
  readonly partial: Uint8Array;
  /** How many bytes the call needed in all, when that was known. */
  readonly expected: number | undefined;

  constructor(partial: Uint8Array, expected?: number) {
    const want = expected === undefined ? 'more data' : `${expected} bytes`;
    super(
      'ERR_STREAM_EOF',
      `Stream ended after ${partial.byteLength} bytes while waiting for ${want}; ` +
        'the peer closed the connection early or sent a truncated message',
    );
    this.partial = partial;
    this.expected = expected;
  }
}

/** A line, delimited record or frame is longer than the limit the caller set. */
export class MaxLengthError extends NetError {
  /** The limit in force, in bytes. */
  readonly maxLength: number;
  /** The announced length (frames) or the bytes scanned without a delimiter. */
  readonly length: number;

  constructor(what: string, length: number, maxLength: number) {
    super(
      'ERR_MAX_LENGTH',
      `${what} of ${length} bytes exceeds maxLength (${maxLength}); ` +
        'raise maxLength if this is expected, otherwise the peer is misbehaving',
    );
    this.maxLength = maxLength;
    this.length = length;
  }
}

/** A read did not complete within its `timeout`. No bytes were consumed. */
export class ReadTimeoutError extends TimeoutError {
  constructor(timeout: number) {
    super(
      timeout,
      `Read timed out after ${timeout} ms; the bytes received so far stay buffered, ` +
        'so the read can be retried or the connection closed',
    );
  }
}

/** A read was cancelled through its `signal`. No bytes were consumed. */
export class ReadAbortedError extends AbortedError {
  constructor(reason: unknown) {
    super('Read was aborted by its signal; the bytes received so far stay buffered', reason);
  }
}

/** The source stream emitted an error; `cause` holds it (for example `ECONNRESET`). */
export class StreamReadError extends NetError {
  constructor(cause: unknown) {
    const detail = cause instanceof Error ? `${cause.message}` : String(cause);
    super('ERR_STREAM_ERROR', `Source stream failed: ${detail}`, { cause });
  }
}

/** The reader was released with `release()`; the stream belongs to someone else now. */
export class ReaderReleasedError extends NetError {
  constructor() {
    super(
      'ERR_READER_RELEASED',
      'This StreamReader was released; read from the stream directly or create a new reader',
    );
  }
}
