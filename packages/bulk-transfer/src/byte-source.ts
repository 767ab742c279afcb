/**
 * Where received bytes come from. `recvArray` and `recvInto` accept any byte stream (a
 * `net.Socket` from a server or `net.connect`, a TLS socket, a Duplex) and read it through
 * a `StreamReader`: one copy per arriving chunk, straight into the destination. A
 * {@link BulkReceiver} is the zero-copy source: the kernel writes into the destination.
 */
import type { Readable } from 'node:stream';
import {
  createStreamReader,
  NetError,
  ReadAbortedError,
  ReadTimeoutError,
  StreamEOFError,
  type StreamReader,
  type StreamReaderOptions,
} from '@net/stream-reader';
import { type InterruptionCode, interruption } from './errors.js';
import { type CallContext, remaining } from './options.js';

/** Which part of a message a read belongs to, for the error a cut-short read reports. */
export interface ReadPhase {
  phase: 'header' | 'body';
  /** Bytes of this phase consumed before this read. */
  before: number;
  /** Bytes this phase has in all, as far as known. */
  expected: number;
}

/** What `recvArray` and `recvInto` need from a source of bytes. */
export interface ByteSource {
  /** Reads exactly `n` bytes (small: the parts of a header). */
  readExactly(n: number, ctx: CallContext, phase: ReadPhase): Promise<Uint8Array>;
  /** Fills `target` completely, in place, reporting progress. */
  fill(target: Uint8Array, ctx: CallContext): Promise<void>;
  /** Ends a call: the connection stays usable (`keep`) or is closed mid-message. */
  finish(keep: boolean): void;
}

/** The code of the interruption an error from a read stands for. */
export function interruptionCode(error: unknown): InterruptionCode {
  if (error instanceof ReadTimeoutError) return 'ERR_TIMEOUT';
  if (error instanceof ReadAbortedError) return 'ERR_ABORTED';
  return 'ERR_TRANSFER_INCOMPLETE';
}

/**
 * Readers kept for streams that ended with bytes still unread (a peer that sent several
 * arrays and closed): Node cannot push bytes back into an ended stream, so the reader
 * keeps them for the next call on that stream.
 */
const kept = new WeakMap<Readable, StreamReader>();

/** Any byte stream, read through `@net/stream-reader`: one copy per chunk. */
export class ReaderSource implements ByteSource {
  readonly #stream: Readable;
  readonly #reader: StreamReader;

  constructor(stream: Readable, readerOptions?: StreamReaderOptions) {
    this.#stream = stream;
    this.#reader = kept.get(stream) ?? createStreamReader(stream, readerOptions);
    kept.delete(stream);
  }

  async readExactly(n: number, ctx: CallContext, phase: ReadPhase): Promise<Uint8Array> {
    try {
      return await this.#reader.readExactly(n, { timeout: remaining(ctx), signal: ctx.signal });
    } catch (error) {
      throw this.#interrupted(error, phase, n, ctx);
    }
  }

  async fill(target: Uint8Array, ctx: CallContext): Promise<void> {
    const total = target.byteLength;
    // Pieces of chunkSize, with progress between them.
    for (let done = 0; done < total; ) {
      const end = Math.min(total, done + ctx.chunkSize);
      try {
        await this.#reader.readInto(target.subarray(done, end), {
          timeout: remaining(ctx),
          signal: ctx.signal,
        });
      } catch (error) {
        throw this.#interrupted(
          error,
          { phase: 'body', before: done, expected: total },
          end - done,
          ctx,
        );
      }
      done = end;
      ctx.progress?.(done, total);
    }
    if (total === 0) ctx.progress?.(0, 0);
  }

  finish(keep: boolean): void {
    const stream = this.#stream;
    if (!keep) {
      this.#reader.release();
      stream.destroy();
    } else if (this.#reader.buffered > 0 && (stream.readableEnded || stream.destroyed)) {
      kept.set(stream, this.#reader);
    } else {
      // Bytes read ahead past the message go back into the stream for its next reader.
      this.#reader.release({ unshift: true });
    }
  }

  #interrupted(error: unknown, phase: ReadPhase, pieceLength: number, ctx: CallContext): unknown {
    if (!(error instanceof NetError) || error.code === 'ERR_INVALID_ARGUMENT') return error;
    // A timed-out, aborted or failed read gives the bytes it received back to the reader
    // (they also stay in the caller's view), so they are what the reader now buffers.
    const partial =
      error instanceof StreamEOFError
        ? error.partial.byteLength
        : Math.min(pieceLength, this.#reader.buffered);
    return interruption(
      interruptionCode(error),
      {
        direction: 'receive',
        phase: phase.phase,
        bytesTransferred: phase.before + partial,
        expected: phase.expected,
        cause: error,
      },
      ctx.timeout,
    );
  }
}

/**
 * Stops `@net/bulk-transfer` from holding bytes of `stream` and returns them. Needed only
 * when the peer closed right after sending, and you want to read what follows the last
 * array with something else: otherwise those bytes are already back in the stream.
 */
export function releaseStream(stream: Readable): Uint8Array {
  const reader = kept.get(stream);
  kept.delete(stream);
  return reader === undefined ? new Uint8Array(0) : reader.release();
}
