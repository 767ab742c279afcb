import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import {
  createStreamReader,
  type ReadChunkOptions,
  type ReadFrameOptions,
  type ReadLineOptions,
  type ReadOptions,
  type ReadUntilOptions,
  type ReleaseOptions,
  STREAM_READER_DEFAULTS,
  StreamReadError,
  type StreamReader,
  type StreamReaderOptions,
} from '@net/stream-reader';
import type { ConnectionState } from './context.js';
import { ConnectionClosedError } from './errors.js';

/** Internal: stops reading for the handler (it returned); the server then discards input. */
export const kDetach = Symbol('detach');

const RESOLVED: Promise<void> = Promise.resolve();
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
const noop = (): void => undefined;

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * One client connection, as handed to the server's handler. It is async-iterable over the
 * received chunks, offers the `@net/stream-reader` calls (`readExactly`, `readLine`, ...)
 * through one StreamReader, and writes with backpressure through `write()`.
 */
export class Connection implements AsyncIterable<Uint8Array> {
  /** The underlying socket. Prefer the methods of this object for reading and writing. */
  readonly socket: Socket;
  /** The peer's IP address (`undefined` for Unix domain sockets). */
  readonly remoteAddress: string | undefined;
  /** The peer's port (`undefined` for Unix domain sockets). */
  readonly remotePort: number | undefined;
  /** `'IPv4'` or `'IPv6'` (`undefined` for Unix domain sockets). */
  readonly remoteFamily: string | undefined;
  readonly #readerOptions: StreamReaderOptions;
  #reader: StreamReader | undefined;
  /** Direct iteration (no reader yet): chunks received and not yet yielded. */
  #direct: DirectState | undefined;
  readonly #writeHighWaterMark: number;
  #drainWaiters: Waiter[] = [];
  readonly #state: ConnectionState;

  /** @internal Created by the server; handlers receive it. */
  constructor(
    socket: Socket,
    readerOptions: StreamReaderOptions,
    writeHighWaterMark: number,
    state: ConnectionState,
  ) {
    this.socket = socket;
    this.remoteAddress = state.remoteAddress;
    this.remotePort = state.remotePort;
    this.remoteFamily = state.remoteFamily;
    this.#state = state;
    this.#readerOptions = readerOptions;
    this.#writeHighWaterMark = Math.max(writeHighWaterMark, socket.writableHighWaterMark);
    socket.on('drain', this.#onDrain);
    socket.once('close', this.#onClose);
    socket.once('error', this.#onError);
    // Read ahead from the start (bounded by the reader's highWaterMark), as a StreamReader
    // would: iteration then needs no reader, and a peer's reset is noticed while the
    // handler is busy elsewhere.
    this.#direct = this.#startDirect();
    // A socket paused before (during verify, or by whoever accepted it) must flow now.
    if (socket.readableFlowing === false) socket.resume();
  }

  /**
   * Aborted when the connection closes (reason `ERR_CONNECTION_CLOSED`), when it makes no
   * progress for `idleTimeout` (`ERR_IDLE_TIMEOUT`), when it misses its `handshakeTimeout`
   * (`ERR_HANDSHAKE_TIMEOUT`), or when the server shuts down (`ERR_SERVER_CLOSING`). Pass
   * it to reads and other work that should stop then.
   */
  get signal(): AbortSignal {
    return this.#state.signal;
  }

  /**
   * Ends the connection's first phase (say, after authenticating the client): the
   * server's `handshakeTimeout` clock stops, `idleTimeout` goes on. Later calls do nothing.
   */
  markEstablished(): void {
    this.#state.markEstablished();
  }

  /** The StreamReader that serves this connection's reads (for `release()` and the like). */
  get reader(): StreamReader {
    return this.#useReader();
  }

  /** Bytes received and not yet read. */
  get buffered(): number {
    return this.#direct?.bytes ?? this.#reader?.buffered ?? 0;
  }

  /** Reads exactly `n` bytes (see `StreamReader.readExactly`). */
  readExactly(n: number, options?: ReadOptions): Promise<Uint8Array> {
    return this.#useReader().readExactly(n, options);
  }

  /** Fills `view` completely, in place (see `StreamReader.readInto`). */
  readInto(view: ArrayBufferView, options?: ReadOptions): Promise<number> {
    return this.#useReader().readInto(view, options);
  }

  /** Reads one line without its terminator; `null` at the end (see `StreamReader.readLine`). */
  readLine(options?: ReadLineOptions): Promise<string | null> {
    return this.#useReader().readLine(options);
  }

  /** Reads up to and including `delimiter` (see `StreamReader.readUntil`). */
  readUntil(delimiter: Uint8Array | string, options?: ReadUntilOptions): Promise<Uint8Array> {
    return this.#useReader().readUntil(delimiter, options);
  }

  /** Reads one length-prefixed frame; `null` at a clean end (see `StreamReader.readFrame`). */
  readFrame(options?: ReadFrameOptions): Promise<Uint8Array | null> {
    return this.#useReader().readFrame(options);
  }

  /** Whatever has arrived, at least one byte; `null` at the end (see `StreamReader.read`). */
  read(options?: ReadChunkOptions): Promise<Uint8Array | null> {
    return this.#useReader().read(options);
  }

  /** Detaches the reader and returns the bytes it had read ahead (see `StreamReader.release`). */
  release(options?: ReleaseOptions): Uint8Array {
    return this.#useReader().release(options);
  }

  /**
   * Iterates over the received chunks until the peer ends its side. Until a read method
   * is called, chunks come straight from the socket's 'data' events (no StreamReader in
   * between, for speed); mixing both is fine, bytes stay in order.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    const iterator: AsyncIterableIterator<Uint8Array> = {
      next: () => this.#next(),
      return: () => Promise.resolve(DONE),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  #next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#reader !== undefined) return this.#reader.read().then(toResult);
    const direct = this.#direct;
    if (direct === undefined) return Promise.resolve(DONE); // detached: the handler returned
    if (direct.bytes > 0) {
      const chunk = direct.chunks.shift()!;
      direct.bytes -= chunk.byteLength;
      if (direct.paused && direct.bytes < direct.highWaterMark) {
        direct.paused = false;
        this.socket.resume();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (direct.error !== undefined) return Promise.reject(new StreamReadError(direct.error));
    if (direct.ended) return Promise.resolve(DONE);
    return new Promise(this.#wait);
  }

  /** The executor of a waiting `next()`, made once per connection (no closure per chunk). */
  readonly #wait = (resolve: DirectState['resolve'], reject: DirectState['reject']): void => {
    const direct = this.#direct!;
    direct.resolve = resolve;
    direct.reject = reject;
  };

  #startDirect(): DirectState {
    const socket = this.socket;
    const direct: DirectState = {
      chunks: [],
      bytes: 0,
      highWaterMark: this.#readerOptions.highWaterMark ?? STREAM_READER_DEFAULTS.highWaterMark,
      paused: false,
      ended: socket.readableEnded || socket.destroyed,
      error: socket.errored ?? undefined,
      resolve: undefined,
      reject: undefined,
    };
    socket.on('data', this.#onDirectData);
    socket.on('end', this.#onDirectEnd);
    socket.on('close', this.#onDirectEnd);
    return direct;
  }

  readonly #onDirectData = (chunk: Buffer): void => {
    if (chunk.byteLength === 0) return;
    const direct = this.#direct!;
    const resolve = direct.resolve;
    if (resolve !== undefined) {
      direct.resolve = undefined;
      direct.reject = undefined;
      resolve({ done: false, value: chunk });
      return;
    }
    direct.chunks.push(chunk);
    direct.bytes += chunk.byteLength;
    if (direct.bytes >= direct.highWaterMark && !direct.paused) {
      direct.paused = true;
      this.socket.pause();
    }
  };

  readonly #onDirectEnd = (): void => {
    const direct = this.#direct!;
    if (direct.ended) return;
    direct.ended = true;
    const { resolve, reject } = direct;
    direct.resolve = undefined;
    direct.reject = undefined;
    if (resolve === undefined || reject === undefined) return;
    if (direct.error !== undefined) reject(new StreamReadError(direct.error));
    else resolve(DONE);
  };

  /** The StreamReader, created on first use; bytes the iterator had buffered go to it first. */
  #useReader(): StreamReader {
    if (this.#reader !== undefined) return this.#reader;
    const socket = this.socket;
    const direct = this.#direct;
    let source: Socket | PassThrough = socket;
    if (direct !== undefined) {
      this.#direct = undefined;
      socket.off('data', this.#onDirectData);
      socket.off('end', this.#onDirectEnd);
      socket.off('close', this.#onDirectEnd);
      if (direct.chunks.length > 0) {
        const rest = Buffer.concat(direct.chunks);
        if (!socket.readableEnded && !socket.destroyed) {
          socket.unshift(rest);
        } else {
          // The socket has ended: serve what is left, then the end, from a stand-in stream.
          source = new PassThrough();
          source.end(rest);
        }
      }
    }
    const reader = createStreamReader(source, this.#readerOptions);
    this.#reader = reader;
    // An iteration step that was waiting is served first, as it was asked first.
    if (direct?.resolve !== undefined && direct.reject !== undefined) {
      reader.read().then(toResult).then(direct.resolve, direct.reject);
    }
    return reader;
  }

  /**
   * Queues `data` for sending. Resolves at once unless the socket is backpressured (more
   * than `writeHighWaterMark` bytes waiting), then on 'drain'. Rejects with
   * `ERR_CONNECTION_CLOSED` if the connection is gone. Await it in loops to bound memory.
   */
  write(data: Uint8Array | string): Promise<void> {
    const socket = this.socket;
    if (!socket.writable) {
      return rejected(closedError(socket));
    }
    if (socket.write(data) || socket.writableLength < this.#writeHighWaterMark) return RESOLVED;
    const drained = new Promise<void>((resolve, reject) => {
      this.#drainWaiters.push({ resolve, reject });
    });
    drained.catch(noop); // a caller that does not await must not crash the process
    return drained;
  }

  /**
   * Sends `data` if given, then ends our side (FIN); the peer can still send until it ends
   * its own. Resolves once everything is handed to the kernel, or the connection is gone.
   */
  end(data?: Uint8Array | string): Promise<void> {
    const socket = this.socket;
    if (socket.destroyed || socket.writableFinished) return RESOLVED;
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('finish', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('finish', done);
      socket.on('close', done);
      if (!socket.writableEnded) {
        if (data === undefined) socket.end();
        else socket.end(data);
      }
    });
  }

  /** Closes the connection at once, discarding unsent data. */
  destroy(): void {
    this.socket.destroy();
  }

  /** @internal Stops reading for the handler: the reader is released or the iterator detached. */
  [kDetach](): void {
    if (this.#reader !== undefined) {
      if (!this.#reader.released) this.#reader.release();
    } else if (this.#direct !== undefined) {
      this.socket.off('data', this.#onDirectData);
      this.socket.off('end', this.#onDirectEnd);
      this.socket.off('close', this.#onDirectEnd);
      this.#direct = undefined;
    }
  }

  readonly #onDrain = (): void => {
    if (this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  };

  readonly #onError = (error: Error): void => {
    if (this.#direct !== undefined && this.#direct.error === undefined) this.#direct.error = error;
  };

  readonly #onClose = (): void => {
    if (this.#drainWaiters.length === 0) return; // the usual close: no error to build
    const error = closedError(this.socket);
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
  };
}

interface DirectState {
  chunks: Buffer[];
  bytes: number;
  highWaterMark: number;
  paused: boolean;
  ended: boolean;
  error: unknown;
  /** Set while a `next()` waits for data. */
  resolve: ((result: IteratorResult<Uint8Array>) => void) | undefined;
  reject: ((error: Error) => void) | undefined;
}

function toResult(chunk: Uint8Array | null): IteratorResult<Uint8Array> {
  return chunk === null ? DONE : { done: false, value: chunk };
}

function rejected(error: Error): Promise<never> {
  const promise = Promise.reject(error);
  promise.catch(noop);
  return promise;
}

/** The error of a write to (or the signal of) a closed connection. */
export function closedError(socket: Socket): ConnectionClosedError {
  const cause = socket.errored ?? undefined;
  return new ConnectionClosedError(undefined, cause === undefined ? undefined : { cause });
}
