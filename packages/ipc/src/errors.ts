/**
 * Error classes of `@net/ipc`. Each extends {@link NetError} (from `@net/stream-reader`)
 * with a stable `code`; read errors (`ERR_TIMEOUT`, `ERR_ABORTED`, ...) are
 * `@net/stream-reader`'s and handshake errors (`ERR_AUTH_*`) are `@net/hmac-auth`'s.
 */
import { NetError } from '@net/stream-reader';

export { NetError };

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

/** The connection is closed (by us or the peer), or ended between messages. */
export class ConnectionClosedError extends NetError {
  constructor(detail = 'The connection is closed', options?: { cause?: unknown }) {
    super('ERR_CONNECTION_CLOSED', `${detail}; open a new connection`, options);
  }
}

/** A received message could not be decoded with `v8.deserialize` (not a `send()` value). */
export class DeserializeError extends NetError {
  constructor(cause: unknown) {
    super(
      'ERR_DESERIALIZE',
      'Received message is not a V8-serialized value; recv() only reads what a Node peer sent ' +
        'with send(); use recvBytes() for raw bytes (e.g. from Python)',
      { cause },
    );
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

/** `listen()` or `spawnWorkers()` could not listen. `cause` is the system error (`EADDRINUSE`, ...). */
export class ListenError extends NetError {
  constructor(target: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('ERR_LISTEN', `Could not listen on ${target}: ${detail}; choose another address`, {
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

/** A bad option or argument. */
export class InvalidArgumentError extends NetError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
  }
}
