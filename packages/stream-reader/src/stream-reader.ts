import { constants as bufferConstants } from 'node:buffer';
import type { Readable } from 'node:stream';
import { CallQueue } from './call-queue.js';
import { byteView, ChunkQueue, readUIntAt } from './chunk-queue.js';
import {
  InvalidArgumentError,
  MaxLengthError,
  ReadAbortedError,
  ReaderReleasedError,
  ReadTimeoutError,
  StreamEOFError,
  StreamReadError,
} from './errors.js';

/** Size in bytes of a frame's length header. */
export type FrameHeaderSize = 1 | 2 | 4 | 8;
/** Byte order of a frame's length header: `'big'` is network order. */
export type ByteOrder = 'big' | 'little';

/** Options every read call accepts. */
export interface ReadOptions {
  /** Milliseconds the call may take before it fails with `ERR_TIMEOUT`; 0 means no limit. */
  timeout?: number;
  /** Cancels the call with `ERR_ABORTED`. */
  signal?: AbortSignal;
}

/** Options of {@link StreamReader.readUntil}. */
export interface ReadUntilOptions extends ReadOptions {
  /** Longest record accepted, in bytes, delimiter included. */
  maxLength?: number;
}

/** Options of {@link StreamReader.readLine}. */
export interface ReadLineOptions extends ReadUntilOptions {
  /** How the line's bytes are decoded. */
  encoding?: BufferEncoding;
}

/** Options of {@link StreamReader.readFrame}; the framing ones override the reader's. */
export interface ReadFrameOptions extends ReadOptions {
  /** Largest frame body accepted, in bytes; checked before anything is allocated. */
  maxLength?: number;
  /** Bytes of the length header: 1, 2, 4 or 8. */
  headerSize?: FrameHeaderSize;
  /** Byte order of the length header. */
  byteOrder?: ByteOrder;
}

/** Options of {@link StreamReader.read}. */
export interface ReadChunkOptions extends ReadOptions {
  /** Return at most this many bytes. */
  maxLength?: number;
}

/** Options of {@link createStreamReader}. */
export interface StreamReaderOptions {
  /** The source is paused while more than this many bytes wait unread. */
  highWaterMark?: number;
  /** Default `timeout` of every call, in milliseconds; 0 means no limit. */
  timeout?: number;
  /** Default `maxLength` of `readLine` and `readUntil`. */
  maxLineLength?: number;
  /** Default `maxLength` of `readFrame`. */
  maxFrameLength?: number;
  /** Default length header size of `readFrame`. */
  frameHeaderSize?: FrameHeaderSize;
  /** Default length header byte order of `readFrame`. */
  frameByteOrder?: ByteOrder;
}

/** Options of {@link StreamReader.release}. */
export interface ReleaseOptions {
  /** Push the buffered bytes back into the source so its next reader gets them. */
  unshift?: boolean;
}

/** The defaults of {@link StreamReaderOptions}. */
export const STREAM_READER_DEFAULTS = {
  /** 256 KiB. */
  highWaterMark: 256 * 1024,
  /** No limit. */
  timeout: 0,
  /** 64 KiB, delimiter included. */
  maxLineLength: 64 * 1024,
  /** 64 MiB. */
  maxFrameLength: 64 * 1024 * 1024,
  /** A 4-byte header, as Python's `struct.pack('>I', len)`. */
  frameHeaderSize: 4,
  /** Network order. */
  frameByteOrder: 'big',
} as const satisfies Required<StreamReaderOptions>;

enum Kind {
  /** `readExactly`, `readInto` and the body of `readFrame`. */
  Fill = 0,
  /** `readUntil` and `readLine`. */
  Until = 1,
  /** `read` and iteration. */
  Chunk = 2,
}

/** One call waiting for data. Fields not used by its kind keep their initial values. */
class PendingRead {
  readonly kind: Kind;
  resolve: (value: unknown) => void = settledAlready;
  reject: (error: Error) => void = settledAlready;
  /** Bytes wanted (Fill), or the most to return (Chunk), or the longest record (Until). */
  size: number;
  /** Where a Fill lands; allocated lazily for `readExactly`, the caller's view for `readInto`. */
  target: Uint8Array | undefined = undefined;
  filled = 0;
  /** True when `target` is the caller's memory, so bytes given back must be copied. */
  callerTarget = false;
  /** Frame header size still to parse; 0 when not a frame or once parsed. */
  headerSize = 0;
  littleEndian = false;
  /** The parsed frame header, kept so a cancelled call can give it back. */
  header: Buffer | undefined = undefined;
  delimiter: Buffer | undefined = undefined;
  /** Bytes already searched for the delimiter. */
  scanned = 0;
  /** At a clean end of stream resolve with `null` (or the unterminated rest) instead of failing. */
  nullAtEnd = true;
  map: ((bytes: Buffer | null) => unknown) | undefined = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;

  constructor(kind: Kind, size: number) {
    this.kind = kind;
    this.size = size;
  }
}

function settledAlready(): void {}

/**
 * The executor of every read's promise: one shared function that hands the promise's
 * resolvers out through these two slots, instead of a new closure per read. The Promise
 * constructor runs it synchronously, so the slots are read back before anything else runs.
 */
let capturedResolve: (value: never) => void = settledAlready;
let capturedReject: (error: Error) => void = settledAlready;
function captureResolvers(resolve: (value: never) => void, reject: (error: Error) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * The defaults as a reader's options: shared by every reader built without options (or with
 * only `undefined` ones), so those skip the merge and the checks. Frozen, being shared.
 */
const DEFAULT_OPTIONS: Readonly<Required<StreamReaderOptions>> = Object.freeze({
  ...STREAM_READER_DEFAULTS,
});

const NEWLINE = Buffer.from('\n');
const CR = 0x0d;

/**
 * Pull-style reading from a Node stream: exact byte counts, lines, delimited records,
 * length-prefixed frames, or whatever has arrived. Calls may overlap; they are served in
 * order. Bytes read past the end of a record stay buffered for the next call, and a call
 * that times out or is aborted consumes nothing.
 */
export class StreamReader implements AsyncIterable<Uint8Array> {
  readonly #source: Readable;
  readonly #queue = new ChunkQueue();
  readonly #pending = new CallQueue<PendingRead>();
  readonly #options: Readonly<Required<StreamReaderOptions>>;
  #paused = true;
  #ended = false;
  #error: unknown = undefined;
  #released = false;

  /**
   * As {@link createStreamReader}: the reader consumes `source` from now on. Throws
   * `ERR_INVALID_ARGUMENT` for a bad option, or a source that is not a byte-mode Readable
   * (object mode, or an encoding set).
   */
  constructor(source: Readable, options?: StreamReaderOptions) {
    if (source === null || typeof source !== 'object' || typeof source.on !== 'function') {
      throw new InvalidArgumentError('source must be a Readable stream (net.Socket, Duplex, ...)');
    }
    if (source.readableObjectMode) {
      throw new InvalidArgumentError('source is in object mode; StreamReader reads byte streams');
    }
    if (source.readableEncoding !== null && source.readableEncoding !== undefined) {
      throw new InvalidArgumentError(
        'source has an encoding set (setEncoding); StreamReader needs the raw bytes',
      );
    }
    this.#options = options === undefined ? DEFAULT_OPTIONS : readerOptions(options);
    this.#source = source;
    source.on('data', this.#onData);
    source.on('end', this.#onEnd);
    source.on('close', this.#onEnd);
    source.on('error', this.#onError);
    if (source.errored) this.#error = source.errored;
    else if (source.readableEnded || source.destroyed) this.#ended = true;
    this.#updateFlow();
  }

  /** Bytes received and not yet read. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** True once the source has ended (or failed) and every buffered byte has been read. */
  get ended(): boolean {
    return (this.#ended || this.#error !== undefined) && this.#queue.length === 0;
  }

  /** True after {@link StreamReader.release}. */
  get released(): boolean {
    return this.#released;
  }

  /**
   * Reads exactly `n` bytes. Fails with `ERR_STREAM_EOF` (its `partial` holds what came)
   * if the stream ends first. The result may be a view into a larger buffer.
   */
  readExactly(n: number, options?: ReadOptions): Promise<Uint8Array> {
    try {
      checkBufferLength('n', n);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#enqueue(new PendingRead(Kind.Fill, n), options);
  }

  /**
   * Fills `view` completely, in place, and resolves with its byte length. Fails with
   * `ERR_STREAM_EOF` if the stream ends first; `partial` then holds the bytes that came.
   */
  readInto(view: ArrayBufferView, options?: ReadOptions): Promise<number> {
    if (!ArrayBuffer.isView(view)) {
      return Promise.reject(
        new InvalidArgumentError('view must be an ArrayBufferView (a typed array or DataView)'),
      );
    }
    let target: Uint8Array;
    try {
      target = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    } catch (error) {
      return Promise.reject(error); // a detached buffer
    }
    const req = new PendingRead(Kind.Fill, target.byteLength);
    req.target = target;
    req.callerTarget = true;
    return this.#enqueue(req, options);
  }

  /**
   * Reads one line and returns it decoded, without its `\n` or `\r\n`. At the end of the
   * stream returns the unterminated rest if there is one, then `null`. `maxLength` (default
   * `maxLineLength`) counts bytes including the terminator.
   */
  readLine(options?: ReadLineOptions): Promise<string | null> {
    const maxLength = options?.maxLength ?? this.#options.maxLineLength;
    const encoding = options?.encoding ?? 'utf8';
    if (!Buffer.isEncoding(encoding)) {
      return Promise.reject(new InvalidArgumentError(`Unknown encoding ${String(encoding)}`));
    }
    return this.#enqueueUntil(NEWLINE, maxLength, options, true, (bytes) => {
      if (bytes === null) return null;
      let end = bytes.byteLength;
      if (end > 0 && bytes[end - 1] === NEWLINE[0]) {
        end--;
        if (end > 0 && bytes[end - 1] === CR) end--;
      }
      return bytes.toString(encoding, 0, end);
    });
  }

  /**
   * Reads up to and including the first occurrence of `delimiter`. Fails with
   * `ERR_MAX_LENGTH` when no delimiter appears within `maxLength` bytes (the bytes stay
   * buffered), and with `ERR_STREAM_EOF` when the stream ends first.
   */
  readUntil(delimiter: Uint8Array | string, options?: ReadUntilOptions): Promise<Uint8Array> {
    const needle = typeof delimiter === 'string' ? Buffer.from(delimiter) : toBuffer(delimiter);
    if (needle.byteLength === 0) {
      return Promise.reject(new InvalidArgumentError('delimiter must not be empty'));
    }
    const maxLength = options?.maxLength ?? this.#options.maxLineLength;
    return this.#enqueueUntil(needle, maxLength, options, false, undefined);
  }

  /**
   * Reads one length-prefixed frame and returns its body. The announced length is checked
   * against `maxLength` before anything is allocated (`ERR_MAX_LENGTH`, nothing consumed).
   * Returns `null` when the stream ends cleanly between frames; `ERR_STREAM_EOF` inside one.
   */
  readFrame(options?: ReadFrameOptions): Promise<Uint8Array | null> {
    const maxLength = options?.maxLength ?? this.#options.maxFrameLength;
    const headerSize = options?.headerSize ?? this.#options.frameHeaderSize;
    const byteOrder = options?.byteOrder ?? this.#options.frameByteOrder;
    try {
      checkBufferLength('maxLength', maxLength);
      checkFraming(headerSize, byteOrder);
    } catch (error) {
      return Promise.reject(error);
    }
    const req = new PendingRead(Kind.Fill, maxLength);
    req.headerSize = headerSize;
    req.littleEndian = byteOrder === 'little';
    return this.#enqueue(req, options);
  }

  /**
   * Resolves with the bytes that have arrived (waiting for at least one), at most
   * `maxLength`; `null` at the end of the stream. Never copies.
   */
  read(options?: ReadChunkOptions): Promise<Uint8Array | null> {
    const maxLength = options?.maxLength ?? Number.MAX_SAFE_INTEGER;
    try {
      checkPositiveInteger('maxLength', maxLength);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#enqueue(new PendingRead(Kind.Chunk, maxLength), options);
  }

  /** Iterates over the chunks as they arrive, until the end of the stream. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) return;
      yield chunk;
    }
  }

  /**
   * Detaches from the source and returns the bytes buffered but not yet read, so another
   * consumer can take the stream over. Pending calls fail with `ERR_READER_RELEASED`.
   * The source is left paused: call `resume()`, `pipe()` or iterate it to go on. With
   * `{ unshift: true }` the bytes are also pushed back into the source (the returned copy
   * is then for information only).
   */
  release(options?: ReleaseOptions): Uint8Array {
    if (this.#released) return new Uint8Array(0);
    this.#released = true;
    const first = this.#pending.first;
    if (first !== undefined) {
      this.#restore(first);
      for (const req of this.#pending.takeAll()) this.#settle(req, new ReaderReleasedError(), true);
    }
    const source = this.#source;
    source.off('data', this.#onData);
    source.off('end', this.#onEnd);
    source.off('close', this.#onEnd);
    source.off('error', this.#onError);
    const leftover = this.#queue.takeAll();
    if (!source.destroyed && !source.readableEnded) {
      source.pause();
      if (options?.unshift && leftover.byteLength > 0) source.unshift(leftover);
    }
    return leftover;
  }

  #enqueueUntil(
    delimiter: Buffer,
    maxLength: number,
    options: ReadOptions | undefined,
    nullAtEnd: boolean,
    map: PendingRead['map'],
  ): Promise<never> {
    try {
      checkPositiveInteger('maxLength', maxLength);
    } catch (error) {
      return Promise.reject(error);
    }
    const req = new PendingRead(Kind.Until, maxLength);
    req.delimiter = delimiter;
    req.nullAtEnd = nullAtEnd;
    req.map = map;
    return this.#enqueue(req, options);
  }

  /** Queues `req` with the call's timeout and signal, and serves it if it is first. */
  #enqueue(req: PendingRead, options: ReadOptions | undefined): Promise<never> {
    if (this.#released) return Promise.reject(new ReaderReleasedError());
    let timeout = this.#options.timeout;
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      timeout = options.timeout ?? timeout;
      signal = options.signal;
      try {
        checkTimeout(timeout);
      } catch (error) {
        return Promise.reject(error);
      }
      if (signal?.aborted) return Promise.reject(new ReadAbortedError(signal.reason));
    }
    const promise = new Promise<never>(captureResolvers);
    req.resolve = capturedResolve as (value: unknown) => void;
    req.reject = capturedReject;
    try {
      if (timeout > 0) {
        req.timer = setTimeout(() => this.#cancel(req, new ReadTimeoutError(timeout)), timeout);
      }
      if (signal !== undefined) {
        req.signal = signal;
        req.onAbort = () => this.#cancel(req, new ReadAbortedError(signal.reason));
        signal.addEventListener('abort', req.onAbort, { once: true });
      }
    } catch (error) {
      // Not an AbortSignal after all: the call fails, as it did inside the executor.
      clearTimeout(req.timer);
      req.reject(error as Error);
      return promise;
    }
    this.#pending.push(req);
    if (this.#pending.length === 1) this.#pump();
    return promise;
  }

  readonly #onData = (data: Buffer | string): void => {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    const req = this.#pending.first;
    if (req === undefined || this.#queue.length !== 0) {
      this.#queue.push(chunk);
    } else if (req.target === undefined) {
      // Fast path: a chunk that holds a whole pending `readExactly`, or a whole frame (header
      // and body), is handed out as it is, or as a view of it, keeping the rest.
      let start = 0;
      let end = req.size;
      if (req.kind === Kind.Fill && req.headerSize !== 0) {
        const headerSize = req.headerSize as FrameHeaderSize;
        const length =
          chunk.byteLength < headerSize ? -1 : readUIntAt(chunk, 0, headerSize, req.littleEndian);
        start = headerSize;
        // A header not all here, or a frame too long: the general path waits, or fails the call.
        end = length < 0 || length > req.size ? Number.POSITIVE_INFINITY : headerSize + length;
      }
      if (req.kind !== Kind.Fill || chunk.byteLength < end) {
        this.#queue.push(chunk);
      } else {
        this.#queue.push(chunk, end);
        this.#pending.shift();
        const bytes = start === 0 && end === chunk.byteLength ? chunk : chunk.subarray(start, end);
        this.#settle(req, resultOf(req, bytes), false);
      }
    } else {
      // Fast path: a fill in progress copies straight into its target, like a hand-written
      // 'data' handler would, with no intermediate buffering.
      const need = req.size - req.filled;
      try {
        if (chunk.byteLength < need) {
          req.target.set(chunk, req.filled);
          req.filled += chunk.byteLength;
          return;
        }
        req.target.set(byteView(chunk, 0, need), req.filled);
      } catch (error) {
        // The caller's view went away under us (its buffer was transferred): fail that
        // call, keep the chunk for the next one, and never throw into the stream.
        this.#queue.push(chunk);
        this.#fail(req, error as Error);
        this.#pump();
        return;
      }
      req.filled += need;
      this.#queue.push(chunk, need);
      this.#pending.shift();
      this.#settle(req, resultOf(req, req.target as Buffer), false);
    }
    this.#pump();
  };

  readonly #onEnd = (): void => {
    if (this.#ended) return;
    this.#ended = true;
    this.#pump();
  };

  readonly #onError = (error: unknown): void => {
    if (this.#error !== undefined) return;
    this.#error = error;
    this.#pump();
  };

  /** Serves pending calls from the buffer, in order, until one has to wait. */
  #pump(): void {
    let req = this.#pending.first;
    while (req !== undefined) {
      let done: boolean;
      try {
        done = this.#tryComplete(req);
      } catch (error) {
        // An allocation the machine cannot make, a detached view: that call fails, keeping
        // no bytes (a frame header it took goes back), and the stream and other calls go on.
        try {
          this.#restore(req);
        } catch {
          // a detached caller view cannot be read back; its bytes went with it
        }
        done = this.#fail(req, error as Error);
      }
      if (!done) {
        if (!this.#ended && this.#error === undefined) break;
        this.#completeAtEnd(req);
      }
      req = this.#pending.first;
    }
    this.#updateFlow();
  }

  /** Completes `req` from the buffer if it can; returns false when it must wait. */
  #tryComplete(req: PendingRead): boolean {
    const queue = this.#queue;
    if (req.kind === Kind.Chunk) {
      if (queue.length === 0) return false;
      return this.#finish(req, queue.takeChunk(req.size));
    }
    if (req.kind === Kind.Until) {
      const delimiter = req.delimiter!;
      const index = queue.indexOf(delimiter, Math.max(0, req.scanned - delimiter.byteLength + 1));
      if (index !== -1) {
        const total = index + delimiter.byteLength;
        if (total > req.size) return this.#fail(req, new MaxLengthError('Record', total, req.size));
        return this.#finish(req, queue.take(total));
      }
      if (queue.length >= req.size) {
        return this.#fail(req, new MaxLengthError('Undelimited data', queue.length, req.size));
      }
      req.scanned = queue.length;
      return false;
    }
    if (req.headerSize > 0) {
      if (queue.length < req.headerSize) return false;
      const length = queue.peekUInt(req.headerSize as FrameHeaderSize, req.littleEndian);
      if (length > req.size) return this.#fail(req, new MaxLengthError('Frame', length, req.size));
      // A view: chunks are never written to, so it keeps the header's bytes as they came.
      req.header = queue.take(req.headerSize);
      req.headerSize = 0;
      req.size = length;
    }
    if (req.target === undefined) {
      if (queue.length >= req.size) return this.#finish(req, queue.take(req.size));
      if (queue.length === 0) return false;
      req.target = Buffer.allocUnsafe(req.size);
    }
    const count = Math.min(queue.length, req.size - req.filled);
    queue.moveTo(req.target, req.filled, count);
    req.filled += count;
    if (req.filled < req.size) return false;
    return this.#finish(req, req.target as Buffer);
  }

  /** Settles `req`, which cannot complete from the buffer, at the end of the stream. */
  #completeAtEnd(req: PendingRead): void {
    if (this.#error !== undefined) {
      this.#restore(req);
      this.#fail(req, new StreamReadError(this.#error));
      return;
    }
    const queue = this.#queue;
    if (req.kind === Kind.Chunk) {
      this.#finish(req, null);
    } else if (req.kind === Kind.Until) {
      if (!req.nullAtEnd) this.#fail(req, new StreamEOFError(queue.takeAll()));
      else this.#finish(req, queue.length > 0 ? queue.takeAll() : null);
    } else if (req.headerSize > 0 && queue.length === 0) {
      this.#finish(req, null); // clean end between frames
    } else {
      const expected = req.headerSize > 0 ? undefined : req.size + (req.header?.byteLength ?? 0);
      const parts = [req.header, req.target?.subarray(0, req.filled), queue.takeAll()];
      const partial = Buffer.concat(parts.filter((part) => part !== undefined));
      this.#fail(req, new StreamEOFError(partial, expected));
    }
  }

  #finish(req: PendingRead, bytes: Buffer | null): true {
    this.#pending.shift();
    this.#settle(req, resultOf(req, bytes), false);
    return true;
  }

  #fail(req: PendingRead, error: Error): true {
    const index = this.#pending.indexOf(req);
    if (index !== -1) this.#pending.removeAt(index);
    this.#settle(req, error, true);
    return true;
  }

  #settle(req: PendingRead, value: unknown, failed: boolean): void {
    if (req.timer !== undefined) clearTimeout(req.timer);
    if (req.onAbort !== undefined) req.signal!.removeEventListener('abort', req.onAbort);
    if (failed) req.reject(value as Error);
    else req.resolve(value);
  }

  /** Cancels a pending call; whatever it had taken goes back to the buffer. */
  #cancel(req: PendingRead, error: Error): void {
    const index = this.#pending.indexOf(req);
    if (index === -1) return; // already settled
    if (index === 0) this.#restore(req);
    this.#fail(req, error);
    if (index === 0) this.#pump();
  }

  /** Gives the bytes a partly served call holds back to the front of the buffer. */
  #restore(req: PendingRead): void {
    if (req.target !== undefined && req.filled > 0) {
      const held = req.target.subarray(0, req.filled);
      this.#queue.unshift(req.callerTarget ? Buffer.from(held) : toBuffer(held));
    }
    if (req.header !== undefined) {
      this.#queue.unshift(req.header);
      req.headerSize = req.header.byteLength;
      req.header = undefined;
    }
    if (!req.callerTarget) req.target = undefined;
    req.filled = 0;
  }

  /** Pauses the source while nobody waits and the buffer is full; resumes otherwise. */
  #updateFlow(): void {
    if (this.#released || this.#ended || this.#error !== undefined) return;
    const full = this.#pending.length === 0 && this.#queue.length >= this.#options.highWaterMark;
    if (full && !this.#paused) {
      this.#paused = true;
      this.#source.pause();
    } else if (!full && this.#paused) {
      this.#paused = false;
      this.#source.resume();
    }
  }
}

/**
 * Creates a {@link StreamReader} over `source` (a `net.Socket`, `tls.TLSSocket` or any
 * byte-mode Readable). The reader consumes the source from now on; use `release()` to
 * hand it back.
 */
export function createStreamReader(source: Readable, options?: StreamReaderOptions): StreamReader {
  return new StreamReader(source, options);
}

/** What a completed call resolves with: the count for `readInto`, else the (mapped) bytes. */
function resultOf(req: PendingRead, bytes: Buffer | null): unknown {
  if (req.callerTarget) return req.size;
  return req.map === undefined ? bytes : req.map(bytes);
}

function toBuffer(view: Uint8Array): Buffer {
  return Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** Merges `options` over the defaults (an `undefined` option means its default) and checks them. */
function readerOptions(options: StreamReaderOptions): Readonly<Required<StreamReaderOptions>> {
  const {
    highWaterMark = DEFAULT_OPTIONS.highWaterMark,
    timeout = DEFAULT_OPTIONS.timeout,
    maxLineLength = DEFAULT_OPTIONS.maxLineLength,
    maxFrameLength = DEFAULT_OPTIONS.maxFrameLength,
    frameHeaderSize = DEFAULT_OPTIONS.frameHeaderSize,
    frameByteOrder = DEFAULT_OPTIONS.frameByteOrder,
  } = options;
  if (
    highWaterMark === DEFAULT_OPTIONS.highWaterMark &&
    timeout === DEFAULT_OPTIONS.timeout &&
    maxLineLength === DEFAULT_OPTIONS.maxLineLength &&
    maxFrameLength === DEFAULT_OPTIONS.maxFrameLength &&
    frameHeaderSize === DEFAULT_OPTIONS.frameHeaderSize &&
    frameByteOrder === DEFAULT_OPTIONS.frameByteOrder
  ) {
    return DEFAULT_OPTIONS;
  }
  checkPositiveInteger('highWaterMark', highWaterMark);
  checkTimeout(timeout);
  checkPositiveInteger('maxLineLength', maxLineLength);
  checkBufferLength('maxFrameLength', maxFrameLength);
  checkFraming(frameHeaderSize, frameByteOrder);
  return { highWaterMark, timeout, maxLineLength, maxFrameLength, frameHeaderSize, frameByteOrder };
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
  }
}

/** A length we may have to allocate: 0 up to the largest Buffer Node can make. */
function checkBufferLength(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > bufferConstants.MAX_LENGTH) {
    throw new InvalidArgumentError(
      `${name} must be an integer from 0 to ${bufferConstants.MAX_LENGTH} (the largest buffer), got ${value}`,
    );
  }
}

function checkTimeout(timeout: number): void {
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
    throw new InvalidArgumentError(
      `timeout must be a finite number of milliseconds >= 0 (0 = none), got ${timeout}`,
    );
  }
}

function checkFraming(headerSize: number, byteOrder: string): void {
  if (headerSize !== 1 && headerSize !== 2 && headerSize !== 4 && headerSize !== 8) {
    throw new InvalidArgumentError(`headerSize must be 1, 2, 4 or 8, got ${headerSize}`);
  }
  if (byteOrder !== 'big' && byteOrder !== 'little') {
    throw new InvalidArgumentError(`byteOrder must be 'big' or 'little', got ${byteOrder}`);
  }
}
