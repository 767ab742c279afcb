/**
 * The transports a handshake runs over: a Node Duplex (read through `@net/stream-reader`
 * and handed back afterwards with nothing stolen), or an object that already owns the
 * reading, such as a `@net/tcp-server` connection or a `@net/ipc` Connection.
 */
import type { Duplex } from 'node:stream';
import { ConnectionClosedError, withDeadline } from '@net/core';
import { createStreamReader, type StreamReader } from '@net/stream-reader';
import type { HandshakeDeadline } from './deadline.js';
import { HandshakeProtocolError, InvalidArgumentError } from './errors.js';

/** Options a {@link ByteChannel} read receives. */
export interface ChannelReadOptions {
  /** Milliseconds; the handshake passes its own deadline as `signal` instead. */
  timeout?: number;
  /** Aborting it rejects the read; the handshake passes its deadline's signal here. */
  signal?: AbortSignal;
}

/**
 * A byte stream that already owns its reading: `readExactly` resolves with exactly `n`
 * bytes (or rejects, e.g. at the end of the stream). `write` may return a promise, which
 * is awaited. A `@net/tcp-server` connection has exactly these members.
 */
export interface ByteChannel {
  /** Resolves with exactly `n` bytes; rejects if the stream ends first or `signal` aborts. */
  readExactly(n: number, options?: ChannelReadOptions): Promise<Uint8Array>;
  /** Sends `data`; a returned promise is awaited. */
  write(data: Uint8Array): unknown;
}

/** Options a {@link MessageConnection} receive gets. */
export interface RecvBytesOptions extends ChannelReadOptions {
  /** Refuse messages longer than this many bytes (the handshake passes 256, like Python). */
  maxLength?: number;
}

/**
 * A message-framed connection like Python's `multiprocessing.connection.Connection`:
 * `sendBytes` sends one message, `recvBytes` resolves with the next one. `sendBytes` may
 * return a promise, which is awaited. `@net/ipc`'s Connection implements this.
 */
export interface MessageConnection {
  /** Sends `data` as one message; a returned promise is awaited. */
  sendBytes(data: Uint8Array): unknown;
  /** Resolves with the next whole message; rejects past `maxLength` or at the end. */
  recvBytes(options?: RecvBytesOptions): Promise<Uint8Array>;
}

/** What {@link serverAuthenticate} and {@link clientAuthenticate} accept. */
export type ByteTransport = Duplex | ByteChannel;

/** What {@link deliverChallenge} and {@link answerChallenge} accept. */
export type MessageTransport = Duplex | MessageConnection;

/**
 * The bytes-level view a handshake needs; `close()` hands a Duplex back to its owner.
 * `write` returns a promise only when there is something to wait for (a channel's write).
 */
interface Opened {
  write(data: Uint8Array): Promise<void> | undefined;
  close(): void;
}
export interface OpenedByteTransport extends Opened {
  readExactly(n: number): Promise<Uint8Array>;
}
export interface OpenedMessageTransport extends Opened {
  recv(maxLength: number): Promise<Uint8Array>;
}

function hasMethod(value: unknown, name: string): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)[name] === 'function'
  );
}

function isDuplex(value: unknown): value is Duplex {
  return hasMethod(value, 'write') && hasMethod(value, 'on') && hasMethod(value, 'unshift');
}

/**
 * Queues `data` without waiting for the flush (handshake messages are a few bytes): a
 * failed write fails the stream, which the handshake's next read, or the caller, reports.
 */
function writeDuplex(stream: Duplex, data: Uint8Array): undefined {
  if (stream.destroyed || stream.writableEnded) {
    throw new ConnectionClosedError('The stream was closed before the handshake could write');
  }
  stream.write(data);
  return undefined;
}

/** Length header of multiprocessing's framing: 4 bytes, big-endian. */
const HEADER_SIZE = 4;

/**
 * A StreamReader over a handshake's Duplex, handed back (unread bytes unshifted, stream
 * paused) by `close()`, or as soon as the deadline expires: that fails the pending read
 * with `ERR_READER_RELEASED`, which the deadline maps to its own timeout or abort error.
 * No `AbortSignal` per read, and no timer besides the deadline's.
 */
function openReader(stream: Duplex, deadline: HandshakeDeadline): [StreamReader, () => void] {
  const reader = createStreamReader(stream);
  const close = (): void => {
    if (!reader.released) reader.release({ unshift: true });
  };
  deadline.onExpire = close;
  return [reader, close];
}

/** A frame's body; `null` (a clean end between frames) means the peer hung up. */
function frameOrClosed(message: Uint8Array | null): Uint8Array {
  if (message === null) throw closedError();
  return message;
}

export function openByteTransport(
  transport: ByteTransport,
  deadline: HandshakeDeadline,
): OpenedByteTransport {
  if (hasMethod(transport, 'readExactly') && hasMethod(transport, 'write')) {
    const channel = transport as ByteChannel;
    return {
      readExactly: (n) => {
        const signal = deadline.signal;
        return bounded(channel.readExactly(n, { signal } as ChannelReadOptions), signal);
      },
      write: async (data) => {
        await bounded(Promise.resolve(channel.write(data)), deadline.signal);
      },
      close: () => undefined,
    };
  }
  if (isDuplex(transport)) {
    const [reader, close] = openReader(transport, deadline);
    return {
      readExactly: (n) => reader.readExactly(n),
      write: (data) => writeDuplex(transport, data),
      close,
    };
  }
  throw new InvalidArgumentError(
    'Expected a Duplex stream or an object with readExactly(n, options) and write(data)',
  );
}

export function openMessageTransport(
  transport: MessageTransport,
  deadline: HandshakeDeadline,
): OpenedMessageTransport {
  if (hasMethod(transport, 'recvBytes') && hasMethod(transport, 'sendBytes')) {
    const connection = transport as MessageConnection;
    return {
      recv: async (maxLength) => {
        const signal = deadline.signal;
        const options = { maxLength, signal } as RecvBytesOptions;
        const message = await bounded(connection.recvBytes(options), signal);
        if (!(message instanceof Uint8Array)) throw closedError();
        if (message.byteLength > maxLength) throw oversizedError(message.byteLength, maxLength);
        return message;
      },
      write: async (data) => {
        await bounded(Promise.resolve(connection.sendBytes(data)), deadline.signal);
      },
      close: () => undefined,
    };
  }
  if (isDuplex(transport)) {
    const [reader, close] = openReader(transport, deadline);
    return {
      // multiprocessing's framing: 4-byte big-endian length, then the body.
      write: (data) => {
        const framed = Buffer.allocUnsafe(HEADER_SIZE + data.byteLength);
        framed.writeInt32BE(data.byteLength, 0);
        framed.set(data, HEADER_SIZE);
        return writeDuplex(transport, framed);
      },
      close,
      recv: (maxLength) =>
        reader
          .readFrame({ maxLength, headerSize: HEADER_SIZE, byteOrder: 'big' })
          .then(frameOrClosed),
    };
  }
  throw new InvalidArgumentError(
    'Expected a Duplex stream or an object with sendBytes(data) and recvBytes(options)',
  );
}

/**
 * Settles no later than the handshake's signal aborts, even if a channel ignores it: a
 * transport we did not write must not be able to hang a handshake past its timeout or
 * abort. (The handshake's deadline holds the one timer; the deadline then decides the error.)
 */
function bounded<T>(pending: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return pending;
  pending.catch(() => undefined); // a rejection after the deadline settled is not news
  return withDeadline(() => pending, { signal });
}

function closedError(): HandshakeProtocolError {
  return new HandshakeProtocolError('The peer closed the connection before sending its message');
}

function oversizedError(length: number, maxLength: number): HandshakeProtocolError {
  return new HandshakeProtocolError(
    `The peer sent a ${length}-byte message; handshake messages are limited to ${maxLength} bytes`,
  );
}
