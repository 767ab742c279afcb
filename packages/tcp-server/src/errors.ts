/**
 * Error classes of `@net/tcp-server`, the connection lifecycle every `@net` stream server
 * is built on. Shared conditions (`ERR_CONNECTION_CLOSED`, `ERR_LISTEN`, ...) come from
 * `@net/core` and are re-exported; read errors (`ERR_STREAM_EOF`, `ERR_TIMEOUT`, ...) come
 * from `@net/stream-reader`.
 */
import { NetError } from '@net/core';

export {
  ConnectionClosedError,
  InvalidArgumentError,
  ListenError,
  NetError,
  ServerStateError,
} from '@net/core';

/** The `signal` reason when a connection made no progress either way for `idleTimeout` ms. */
export class IdleTimeoutError extends NetError {
  /** The idle timeout that elapsed, in milliseconds. */
  readonly timeout: number;

  constructor(timeout: number) {
    super(
      'ERR_IDLE_TIMEOUT',
      `Nothing was received and nothing we sent was taken by the peer for ${timeout} ms ` +
        '(idleTimeout), so the connection was closed; raise idleTimeout if clients may ' +
        'legitimately stay silent or stop reading that long',
    );
    this.timeout = timeout;
  }
}

/**
 * The `signal` reason when a connection did not finish its first phase (a TLS handshake,
 * an authentication, a header) within `handshakeTimeout` ms of being accepted.
 */
export class HandshakeTimeoutError extends NetError {
  /** The handshake timeout that elapsed, in milliseconds. */
  readonly timeout: number;

  constructor(timeout: number, what = 'its handshake') {
    super(
      'ERR_HANDSHAKE_TIMEOUT',
      `The connection did not finish ${what} within ${timeout} ms (handshakeTimeout) of ` +
        'being accepted, so it was closed; raise handshakeTimeout if clients are that slow',
    );
    this.timeout = timeout;
  }
}

/** The `signal` reason when the server shuts down with `close()`. */
export class ServerClosingError extends NetError {
  constructor() {
    super(
      'ERR_SERVER_CLOSING',
      'The server is shutting down; finish the current exchange and return from the handler ' +
        'before close() times out and destroys the connection',
    );
  }
}
