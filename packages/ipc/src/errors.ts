/**
 * Error classes of `@net/ipc`. Each extends {@link NetError} (from `@net/core`) with a
 * stable `code`. Conditions every package shares use `@net/core`'s classes, re-exported
 * here: `ConnectionClosedError` (`ERR_CONNECTION_CLOSED`), `ListenError` (`ERR_LISTEN`),
 * `InvalidArgumentError` (`ERR_INVALID_ARGUMENT`), `TimeoutError` (`ERR_TIMEOUT`). Read
 * errors (`ERR_STREAM_EOF`, `ERR_ABORTED`, ...) are `@net/stream-reader`'s, handshake
 * errors (`ERR_AUTH_*`) `@net/hmac-auth`'s and lifecycle reasons (`ERR_IDLE_TIMEOUT`,
 * `ERR_HANDSHAKE_TIMEOUT`, `ERR_SERVER_CLOSING`) `@net/tcp-server`'s.
 */
import {
  ConnectionClosedError,
  InvalidArgumentError,
  ListenError,
  NetError,
  TimeoutError,
} from '@net/core';

export { ConnectionClosedError, InvalidArgumentError, ListenError, NetError, TimeoutError };

/** A TCP endpoint was opened without an `authkey`, and without `authkey: null` to say so. */
export class AuthkeyRequiredError extends NetError {
  constructor() {
    super(
      'ERR_AUTHKEY_REQUIRED',
      'TCP listeners and clients need an authkey (a Buffer or string shared by both ends); ' +
        'pass authkey: null to accept unauthenticated TCP peers on purpose',
    );
  }
}

/** A message is larger than `maxMessageSize` (announced by the peer, or given to send). */
export class MessageTooLargeError extends NetError {
  /** The message length in bytes (announced or given). */
  readonly length: number;
  /** The limit in force. */
  readonly maxMessageSize: number;

  constructor(length: number, maxMessageSize: number, direction: 'received' | 'sent') {
    super(
      'ERR_MESSAGE_TOO_LARGE',
      direction === 'received'
        ? `Peer announced a message of ${length} bytes, over maxMessageSize (${maxMessageSize}); ` +
            'the connection was closed. Raise maxMessageSize if this is expected'
        : `Message of ${length} bytes is over maxMessageSize (${maxMessageSize}); ` +
            'raise maxMessageSize on both ends if this is expected',
    );
    this.length = length;
    this.maxMessageSize = maxMessageSize;
  }
}

/**
 * A send waited for `'drain'` longer than `sendTimeout` while the peer took none of the
 * queued bytes. The connection is destroyed (the message was cut off mid-frame, so the
 * stream can no longer be trusted). `code` is core's `ERR_TIMEOUT`.
 */
export class SendTimeoutError extends TimeoutError {
  /** Bytes still queued for the peer when the send gave up. */
  readonly queued: number;

  constructor(timeout: number, queued: number) {
    super(
      timeout,
      `The peer took none of the ${queued} queued bytes for ${timeout} ms (sendTimeout), so ` +
        'the connection was destroyed; the peer stopped reading. Raise sendTimeout if it may ' +
        'legitimately pause that long (0 = wait forever, like Python)',
    );
    this.queued = queued;
  }
}

/**
 * A received message could not be decoded with `v8.deserialize` (not a `send()` value). The
 * message was consumed; the connection stays usable.
 */
export class DeserializeError extends NetError {
  /** Size of the message that could not be decoded. */
  readonly byteLength: number;

  constructor(cause: unknown, body: Uint8Array) {
    // Python's conn.send() writes a pickle: protocol 2 and later open with PROTO (0x80) and
    // the protocol number; V8's format opens with 0xFF.
    const pickle = body.byteLength >= 2 && body[0] === 0x80 && body[1]! >= 2 && body[1]! <= 5;
    super(
      'ERR_DESERIALIZE',
      `Received a ${body.byteLength}-byte message that is not a V8-serialized value` +
        (pickle ? ` but a Python pickle (protocol ${body[1]}, from Python's conn.send())` : '') +
        ': recv() reads only what a Node peer sent with send(). Read raw bytes with ' +
        "recvBytes() (Python's send_bytes() writes them). The message was consumed; the " +
        'connection is still usable',
      { cause },
    );
    this.byteLength = body.byteLength;
  }
}

/** A value could not be serialized with `v8.serialize` (functions, symbols, ...). */
export class SerializeError extends NetError {
  constructor(cause: unknown) {
    super(
      'ERR_SERIALIZE',
      'Value cannot be serialized with the structured clone algorithm (functions, symbols and ' +
        'class instances with private state are not supported); send plain data',
      { cause },
    );
  }
}

/** `connect()` could not reach the peer. `cause` is the system error (`ECONNREFUSED`, ...). */
export class ConnectError extends NetError {
  constructor(target: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('ERR_CONNECT', `Could not connect to ${target}: ${detail}; is the listener running?`, {
      cause,
    });
  }
}

/** `accept()` on a listener that is closed (or closes while waiting). */
export class ListenerClosedError extends NetError {
  constructor() {
    super('ERR_LISTENER_CLOSED', 'The listener is closed; no more connections will be accepted');
  }
}

/** A worker process could not be started, or failed before it was ready. */
export class WorkerStartError extends NetError {
  constructor(module: string, detail: string, options?: { cause?: unknown }) {
    super(
      'ERR_WORKER_START',
      `Worker ${module} did not start: ${detail}; check that the module calls serveWorker()`,
      options,
    );
  }
}
