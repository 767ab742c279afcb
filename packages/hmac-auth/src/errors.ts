/**
 * Error classes of `@net/hmac-auth`. Every failure the peer causes is a
 * {@link HandshakeError} with a stable `code`; what the caller causes uses `@net/core`'s
 * shared classes (`InvalidArgumentError`, and `AbortedError` for a cancelled handshake).
 * Messages name the step and the sizes involved, never the key.
 */
import { AbortedError, InvalidArgumentError, NetError } from '@net/core';

export { AbortedError, InvalidArgumentError, NetError };

/** Base class of every handshake failure of this package; branch on `code`. */
export class HandshakeError extends NetError {}

/** A digest did not match: the peer holds a different key (or is not a peer at all). */
export class AuthenticationFailedError extends HandshakeError {
  constructor(who: 'client' | 'server') {
    super(
      'ERR_AUTH_FAILED',
      `The ${who}'s HMAC digest did not match; it does not hold the same secret key. ` +
        'Close the connection; check that both sides are configured with the same key and digest',
    );
  }
}

/** The peer refused our digest (multiprocessing's `#FAILURE#` answer). */
export class AuthenticationRejectedError extends HandshakeError {
  constructor() {
    super(
      'ERR_AUTH_REJECTED',
      'The peer rejected our digest (#FAILURE#); both sides must use the same authkey',
    );
  }
}

/** The peer broke the protocol: closed early, sent a short, oversized or malformed message. */
export class HandshakeProtocolError extends HandshakeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_AUTH_PROTOCOL', message, options);
  }
}

/** The peer asked for, or answered with, a digest outside the accepted set. */
export class UnsupportedDigestError extends HandshakeError {
  /** The digest name the peer used (`md5` for legacy unprefixed messages). */
  readonly digest: string;

  constructor(digest: string, accepted: readonly string[]) {
    super(
      'ERR_AUTH_UNSUPPORTED_DIGEST',
      `The peer uses HMAC digest "${digest}", which is not in acceptDigests ` +
        `(${accepted.join(', ')}); add it to acceptDigests if this peer is trusted to use it`,
    );
    this.digest = digest;
  }
}

/**
 * The handshake did not complete within its `timeout` (the whole exchange, not one read).
 * Its own code, not core's `ERR_TIMEOUT`: a deadline on the authentication of a peer, which
 * a server treats as that peer failing (`serverAuthenticate` resolves `false`).
 */
export class HandshakeTimeoutError extends HandshakeError {
  /** The timeout that elapsed, in milliseconds. */
  readonly timeout: number;

  constructor(timeout: number, step: string) {
    super(
      'ERR_AUTH_TIMEOUT',
      `Authentication handshake timed out after ${timeout} ms while ${step}; ` +
        'the peer is silent or too slow: close the connection, or raise timeout',
    );
    this.timeout = timeout;
  }
}

/**
 * The handshake was cancelled through its `signal`; `cause` is the signal's reason.
 * `ERR_ABORTED`, a subclass of core's `AbortedError` (the caller's doing, so not a
 * {@link HandshakeError}).
 */
export class HandshakeAbortedError extends AbortedError {
  constructor(step: string, reason: unknown) {
    super(`Authentication handshake aborted by its signal while ${step}`, reason);
  }
}

/**
 * The connection failed (reset, destroyed, write error) during the handshake; `cause` holds
 * the transport's error (e.g. a `ConnectionClosedError`). Its own code: the step it failed
 * in is the news, and `serverAuthenticate` reports it as the peer's failure.
 */
export class HandshakeConnectionError extends HandshakeError {
  constructor(step: string, cause: unknown) {
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    super(
      'ERR_AUTH_CONNECTION',
      `Connection failed while ${step}${detail}; the handshake cannot complete`,
      { cause },
    );
  }
}
