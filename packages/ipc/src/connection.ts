/**
 * One message connection, like Python's `multiprocessing.connection.Connection`: whole
 * messages in multiprocessing's framing, raw (`sendBytes` / `recvBytes`) or as JS values
 * (`send` / `recv`) in the connection's codec: V8's structured serialization, or pickles.
 */
import type { Socket } from 'node:net';
import { deserialize, serialize } from 'node:v8';
import type { MessageConnection, RecvBytesOptions } from '@net/hmac-auth';
import {
  createStreamReader,
  MaxLengthError,
  NetError,
  type StreamReader,
} from '@net/stream-reader';
import {
  ConnectionClosedError,
  DeserializeError,
  InvalidArgumentError,
  MessageTooLargeError,
  SendTimeoutError,
  SerializeError,
} from './errors.js';
import { decodeLongHeader, decodeShortHeader, encodeHeader, MAX_SHORT_LENGTH } from './framing.js';
import { type ConnectionOptions, resolveConnectionOptions } from './options.js';
import { decodeWith } from './pickle/decode.js';
import { encodeWith } from './pickle/encode.js';
import type { ResolvedPickleOptions } from './pickle/values.js';

/**
 * @internal A server tells a connection why its lifecycle is ending it (idle, handshake
 * deadline, shutdown), so the calls that fail then say why (as `cause`).
 */
export const kCloseReason = Symbol('closeReason');

interface DrainWaiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Options of one `recv()` / `recvBytes()` call. */
export interface RecvOptions {
  /** Refuse a message whose announced length is over this (default: the connection's `maxMessageSize`). */
  maxLength?: number;
  /** Ms to wait for the message (default: the connection's `timeout`; `0` = none). */
  timeout?: number;
  /** Cancels the wait (`ERR_ABORTED`). */
  signal?: AbortSignal;
}

const EMPTY = new Uint8Array(0);
/**
 * Messages up to this many bytes are copied behind their header into one buffer; longer
 * ones are written as header + body, uncopied (CPython's `_send_bytes` uses the same cut).
 */
const COPY_LIMIT = 16 * 1024;
const NO_OPTIONS: RecvOptions = Object.freeze({});
const RESOLVED = Promise.resolve();
/** `#pending` states besides a known body length. */
const NEED_HEADER = -1;
const NEED_LONG_HEADER = -2;

/**
 * A connection returned by `connect()` or yielded by a `Listener`. Implements
 * `@net/hmac-auth`'s `MessageConnection`. Calls of each kind may overlap; they are served
 * in the order they were made.
 */
export class Connection implements MessageConnection {
  /** The underlying socket (TCP or Unix domain). */
  readonly socket: Socket;
  readonly #reader: StreamReader;
  readonly #maxMessageSize: number;
  readonly #timeout: number;
  readonly #writeHighWaterMark: number;
  readonly #sendTimeout: number;
  /** The pickle codec's options, or undefined with V8 serialization. */
  readonly #pickle: ResolvedPickleOptions | undefined;
  #closed = false;
  #failure: NetError | undefined;
  /** Why a server's lifecycle closed (or is closing) the connection. */
  #closeReason: NetError | undefined;
  /** Sends waiting for 'drain', and the sendTimeout clock that bounds them. */
  #drainWaiters: DrainWaiter[] = [];
  #sendTimer: NodeJS.Timeout | undefined;
  /** Write progress at the last sendTimeout check: bytes completed, and libuv's queue. */
  #lastCompleted = 0;
  #lastQueue = 0;
  /** Body length announced by a header whose body is not read yet, or a NEED_* state. */
  #pending = NEED_HEADER;
  #recvTail: Promise<Uint8Array> = Promise.resolve(EMPTY);
  #recvCalls = 0;
  /** readFrame options of a call without options. */
  readonly #frameOptions: { timeout: number; headerSize: 4; maxLength: number };
  #corked = false;
  readonly #uncork = () => {
    this.#corked = false;
    this.socket.uncork();
  };

  /**
   * Wraps a connected socket; `connect()`, `listen()` and `createIpcServer()` do this for
   * you. Throws `ERR_INVALID_ARGUMENT` for bad options.
   */
  constructor(socket: Socket, options?: ConnectionOptions) {
    const resolved = resolveConnectionOptions(options);
    this.socket = socket;
    this.#maxMessageSize = resolved.maxMessageSize;
    this.#timeout = resolved.timeout;
    this.#writeHighWaterMark = resolved.writeHighWaterMark;
    this.#sendTimeout = resolved.sendTimeout;
    this.#pickle = resolved.codec === 'pickle' ? resolved.pickle : undefined;
    socket.on('error', () => undefined); // reported to the pending and next calls instead
    socket.on('drain', this.#onDrain);
    socket.once('close', this.#onClose);
    this.#reader = createStreamReader(socket, { timeout: this.#timeout });
    this.#frameOptions = {
      timeout: this.#timeout,
      headerSize: 4,
      maxLength: Math.min(this.#maxMessageSize, MAX_SHORT_LENGTH),
    };
  }

  /** `true` once `close()` was called or the connection failed. */
  get closed(): boolean {
    return this.#closed || this.socket.destroyed;
  }

  /** The peer's address (`undefined` on Unix sockets). */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** The peer's port (`undefined` on Unix sockets). */
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  /** What `send()` / `recv()` speak (the `codec` option). */
  get codec(): 'v8' | 'pickle' {
    return this.#pickle === undefined ? 'v8' : 'pickle';
  }

  /**
   * Sends `value` as one message. With `codec: 'v8'` (the default) it is serialized with
   * `v8.serialize` (the structured clone algorithm: Map, Set, Date, RegExp, typed arrays,
   * nested objects, cycles), which only a Node peer's `recv()` reads. With `codec: 'pickle'`
   * it is a pickle that Python's `conn.recv()` loads (see `encodePickle` for the types).
   * Rejects with `ERR_SERIALIZE` (a value with no form in the codec; nothing is sent),
   * `ERR_PICKLE_LIMIT`, `ERR_MESSAGE_TOO_LARGE` or `ERR_CONNECTION_CLOSED`.
   */
  send(value: unknown): Promise<void> {
    let body: Uint8Array;
    try {
      body = this.#pickle === undefined ? serialize(value) : encodeWith(value, this.#pickle);
    } catch (error) {
      return Promise.reject(
        error instanceof NetError ? error : new SerializeError(error, this.codec),
      );
    }
    return this.sendBytes(body);
  }

  /**
   * Sends `data` as one message (Python's `send_bytes`): header and body are written
   * together (corked until the end of the tick, so everything sent in one tick leaves in
   * one write), a body up to 16 KiB copied behind its header, a longer one never copied.
   * Resolves at once unless more than `writeHighWaterMark` bytes are queued, then on
   * `'drain'`. Rejects with `ERR_MESSAGE_TOO_LARGE`, `ERR_CONNECTION_CLOSED`, or `ERR_TIMEOUT`
   * ({@link SendTimeoutError}) when the peer took nothing for `sendTimeout` ms while this
   * send waited (the connection is then destroyed).
   */
  sendBytes(data: ArrayBufferView | ArrayBuffer): Promise<void> {
    const body = toBytes(data);
    if (body === undefined) {
      return Promise.reject(
        new InvalidArgumentError('sendBytes() takes an ArrayBufferView or ArrayBuffer'),
      );
    }
    if (this.closed) return Promise.reject(this.#closedError());
    const length = body.byteLength;
    if (length > this.#maxMessageSize) {
      return Promise.reject(new MessageTooLargeError(length, this.#maxMessageSize, 'sent'));
    }
    const socket = this.socket;
    if (!this.#corked) {
      // Everything sent in this tick goes out in one writev (a pipelined burst, an echo of
      // several buffered messages), at the end of the tick, as Node's docs suggest.
      this.#corked = true;
      socket.cork();
      process.nextTick(this.#uncork);
    }
    if (length <= COPY_LIMIT) {
      // One buffer per message: a lone message leaves in a plain write(2), a burst in a
      // writev of one piece per message instead of two (as Python's send_bytes does).
      const frame = Buffer.allocUnsafe(4 + length);
      frame.writeInt32BE(length, 0);
      frame.set(body, 4);
      socket.write(frame);
    } else {
      // Large: header and body go out together in one writev, the body never copied.
      socket.write(encodeHeader(length));
      socket.write(body);
    }
    if (socket.writableLength <= this.#writeHighWaterMark) return RESOLVED;
    return this.#drained();
  }

  /**
   * Resolves with the next message's value, decoded by the connection's codec:
   * `v8.deserialize`, or with `codec: 'pickle'` the pickle Python's `conn.send(obj)` wrote
   * (see `decodePickle` for the types). Rejects with `ERR_DESERIALIZE` for bytes the codec
   * cannot read (raw bytes, the other codec's format), `ERR_PICKLE_UNSAFE` for a pickle that
   * would import or call code, `ERR_PICKLE_LIMIT` past the pickle limits (in each case the
   * message was consumed and the connection stays usable), and as `recvBytes()` does.
   */
  async recv<T = unknown>(options?: RecvOptions): Promise<T> {
    const body = await this.recvBytes(options);
    if (this.#pickle !== undefined) return decodeWith(body, this.#pickle) as T;
    try {
      return deserialize(body) as T;
    } catch (error) {
      throw new DeserializeError(error, body);
    }
  }

  /**
   * Resolves with the next message's bytes (Python's `recv_bytes`). The announced length is
   * checked against `maxLength` before anything is allocated. Rejects with
   * `ERR_CONNECTION_CLOSED` when the peer closed between messages (Python's `EOFError`),
   * `ERR_STREAM_EOF` when it closed inside one, `ERR_MESSAGE_TOO_LARGE` (the connection is
   * closed: its framing can no longer be trusted), `ERR_TIMEOUT` / `ERR_ABORTED` (nothing is
   * lost: the next call goes on with the same message), `ERR_STREAM_ERROR` (a reset).
   */
  recvBytes(options: RecvOptions | RecvBytesOptions = NO_OPTIONS): Promise<Uint8Array> {
    // Calls run one at a time (a message is read in up to three steps); a call made while
    // none is pending runs at once, without a queue.
    this.#recvCalls++;
    if (this.#recvCalls === 1) {
      if (options === NO_OPTIONS && this.#pending === NEED_HEADER && this.#usable()) {
        // The common call, kept lean: one readFrame (header and body), no async function.
        this.#recvTail = this.#reader
          .readFrame(this.#frameOptions)
          .then(this.#onFrame, this.#onFrameError);
      } else {
        this.#recvTail = this.#recvOne(options);
      }
      return this.#recvTail;
    }
    const run = () => this.#recvOne(options);
    this.#recvTail = this.#recvTail.then(run, run);
    return this.#recvTail;
  }

  /**
   * Closes the connection: data already sent is flushed, then the socket is closed. Pending
   * and later calls reject with `ERR_CONNECTION_CLOSED`.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const socket = this.socket;
    if (socket.destroyed) return;
    socket.once('finish', () => socket.destroy());
    socket.end();
  }

  /** Closes at once, dropping unsent data. */
  destroy(): void {
    this.#closed = true;
    // What this tick sent (a handshake's #FAILURE#, say) still leaves before the close.
    if (this.#corked) this.#uncork();
    this.socket.destroy();
  }

  readonly #onFrame = (body: Uint8Array | null): Uint8Array => {
    this.#recvCalls--;
    if (body === null) throw this.#eof();
    return body;
  };

  readonly #onFrameError = (error: unknown): Promise<Uint8Array> => {
    if (error instanceof MaxLengthError) return this.#recvOversized(error);
    this.#recvCalls--;
    throw this.#translate(error);
  };

  #usable(): boolean {
    return this.#failure === undefined && !this.#closed;
  }

  async #recvOne(options: RecvOptions): Promise<Uint8Array> {
    try {
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#closed) throw this.#closedError();
      const maxLength = options.maxLength ?? this.#maxMessageSize;
      const readOptions = { timeout: options.timeout ?? this.#timeout, signal: options.signal };
      if (this.#pending === NEED_HEADER) {
        // Fast path, one read: the common 4-byte header, lengths up to 2 GiB - 1. A longer or
        // negative announcement fails it without consuming anything; the slow path follows.
        try {
          const body = await this.#reader.readFrame({
            ...readOptions,
            headerSize: 4,
            maxLength: Math.min(maxLength, MAX_SHORT_LENGTH),
          });
          if (body === null) throw this.#eof();
          return body;
        } catch (error) {
          this.#checkOversized(error, maxLength);
        }
      }
      return await this.#recvSlow(maxLength, readOptions);
    } catch (error) {
      throw this.#translate(error);
    } finally {
      this.#recvCalls--;
    }
  }

  /** After the fast path of a default call refused the announced length. */
  async #recvOversized(error: MaxLengthError): Promise<Uint8Array> {
    try {
      this.#checkOversized(error, this.#maxMessageSize);
      return await this.#recvSlow(this.#maxMessageSize, { timeout: this.#timeout });
    } catch (failure) {
      throw this.#translate(failure);
    } finally {
      this.#recvCalls--;
    }
  }

  /**
   * Rethrows what is not a refused length; fails the connection for a length in the 4-byte
   * range (over the limit); returns for the -1 escape and negative headers (the slow path).
   */
  #checkOversized(error: unknown, maxLength: number): void {
    if (!(error instanceof MaxLengthError)) throw error;
    if (error.length <= MAX_SHORT_LENGTH) {
      this.#fail(new MessageTooLargeError(error.length, maxLength, 'received'));
    }
  }

  /**
   * The header step by step, for the -1 escape (messages over 2 GiB): `#pending` remembers
   * the step, so a timeout in the middle loses nothing.
   */
  async #recvSlow(maxLength: number, readOptions: RecvOptions): Promise<Uint8Array> {
    if (this.#pending === NEED_HEADER) {
      const length = decodeShortHeader(await this.#reader.readExactly(4, readOptions));
      if (length === -1) this.#pending = NEED_LONG_HEADER;
      else if (length < 0)
        this.#fail(new MessageTooLargeError(length >>> 0, maxLength, 'received'));
      else this.#pending = length;
    }
    if (this.#pending === NEED_LONG_HEADER) {
      this.#pending = decodeLongHeader(await this.#reader.readExactly(8, readOptions));
    }
    const length = this.#pending;
    if (length > maxLength) this.#fail(new MessageTooLargeError(length, maxLength, 'received'));
    const body = length === 0 ? EMPTY : await this.#reader.readExactly(length, readOptions);
    this.#pending = NEED_HEADER;
    return body;
  }

  #eof(): NetError {
    return this.#closed || this.#closeReason !== undefined
      ? this.#closedError()
      : new ConnectionClosedError('The peer closed the connection');
  }

  /** A framing failure: the rest of the stream cannot be trusted, so the connection ends. */
  #fail(error: NetError): never {
    this.#failure = error;
    this.destroy();
    throw error;
  }

  #translate(error: unknown): unknown {
    if (this.#failure !== undefined) return this.#failure;
    const code = error instanceof NetError ? error.code : undefined;
    if (code === 'ERR_STREAM_EOF' || code === 'ERR_STREAM_ERROR') {
      if (this.#closed || this.#closeReason !== undefined) return this.#closedError();
    }
    if (code === 'ERR_STREAM_EOF') {
      const atBoundary =
        this.#pending === NEED_HEADER &&
        (error as { partial: Uint8Array }).partial.byteLength === 0;
      if (atBoundary) return new ConnectionClosedError('The peer closed the connection');
    }
    return error;
  }

  #closedError(): NetError {
    if (this.#failure !== undefined) return this.#failure;
    const reason = this.#closeReason;
    if (reason === undefined || this.#closed) {
      return new ConnectionClosedError('The connection is closed');
    }
    return new ConnectionClosedError(`The server closed the connection (${reason.code})`, {
      cause: reason,
    });
  }

  #drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#drainWaiters.push({ resolve, reject });
      if (this.#sendTimeout > 0 && this.#sendTimer === undefined) {
        this.#sendTimer = setTimeout(this.#onSendTimer, this.#sendTimeout);
        // Measured once this tick's corked writes went out (the uncork runs first).
        process.nextTick(this.#measureProgress);
      }
    });
  }

  /** @internal See {@link kCloseReason}. */
  [kCloseReason](reason: NetError): void {
    this.#closeReason ??= reason;
  }

  readonly #onDrain = (): void => {
    clearTimeout(this.#sendTimer);
    this.#sendTimer = undefined;
    const waiters = this.#drainWaiters;
    if (waiters.length === 0) return;
    this.#drainWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  };

  readonly #onClose = (): void => {
    clearTimeout(this.#sendTimer);
    this.#sendTimer = undefined;
    const waiters = this.#drainWaiters;
    if (waiters.length === 0) return;
    this.#drainWaiters = [];
    // Destroyed with bytes still queued: those sends never reached the peer.
    const lost = this.socket.writableLength > 0;
    for (const waiter of waiters) {
      if (lost) waiter.reject(this.#closedError());
      else waiter.resolve();
    }
  };

  readonly #measureProgress = (): void => {
    [this.#lastCompleted, this.#lastQueue] = writeProgress(this.socket);
  };

  /** sendTimeout passed with sends waiting: go on if the peer took bytes since, else give up. */
  readonly #onSendTimer = (): void => {
    this.#sendTimer = undefined;
    if (this.#drainWaiters.length === 0) return;
    const [completed, queue] = writeProgress(this.socket);
    if (completed > this.#lastCompleted || queue < this.#lastQueue) {
      this.#lastCompleted = completed;
      this.#lastQueue = queue;
      this.#sendTimer = setTimeout(this.#onSendTimer, this.#sendTimeout);
      return;
    }
    const error = new SendTimeoutError(this.#sendTimeout, this.socket.writableLength);
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    // A message was cut off mid-frame: the stream cannot go on, later calls say why.
    this.#failure ??= new ConnectionClosedError(
      'The connection was destroyed because a send made no progress for sendTimeout ms',
      { cause: error },
    );
    this.destroy();
    for (const waiter of waiters) waiter.reject(error);
  };
}

/**
 * How far the socket's writes have got: bytes whose write completed (monotonic), and the
 * bytes libuv still holds of the write in flight, which shrinks as a slow peer takes part
 * of it (Node's own socket timeout reads the same `writeQueueSize` for the same reason).
 */
function writeProgress(socket: Socket): [number, number] {
  const handle = (socket as unknown as { _handle?: { writeQueueSize?: unknown } })._handle;
  const queue = typeof handle?.writeQueueSize === 'number' ? handle.writeQueueSize : 0;
  return [socket.bytesWritten - socket.writableLength, queue];
}

function toBytes(data: ArrayBufferView | ArrayBuffer): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return undefined;
}
