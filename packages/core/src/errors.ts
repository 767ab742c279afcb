/**
 * {@link NetError}, the base class of every `@net/*` error, and the error classes of the
 * conditions that several packages share. One condition has one code and one class in
 * the whole toolkit: a package that meets one of these throws the class from here (or a
 * subclass of it), never a look-alike of its own.
 */

/** Options accepted by every {@link NetError} constructor. */
export interface NetErrorOptions {
  /** The error this one wraps, if any. */
  cause?: unknown;
}

/**
 * Base class of every error thrown by an `@net/*` package. `code` is stable across
 * releases (test and branch on it); `message` is for humans and may change.
 */
export class NetError extends Error {
  /** Stable, machine-readable error code such as `ERR_STREAM_EOF`. */
  readonly code: string;

  constructor(code: string, message: string, options?: NetErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument or option is out of range or of the wrong type. */
export class InvalidArgumentError extends NetError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
  }
}

/** An operation was cancelled through the caller's `AbortSignal`; `cause` is the signal's reason. */
export class AbortedError extends NetError {
  constructor(message = 'The operation was aborted by its signal', reason?: unknown) {
    super('ERR_ABORTED', message, reason === undefined ? undefined : { cause: reason });
  }
}

/** An operation did not complete within its `timeout`. */
export class TimeoutError extends NetError {
  /** The timeout that elapsed, in milliseconds. */
  readonly timeout: number;

  constructor(timeout: number, message?: string) {
    super(
      'ERR_TIMEOUT',
      message ??
        `The operation timed out after ${timeout} ms; raise its timeout if the peer may legitimately be that slow`,
    );
    this.timeout = timeout;
  }
}

/**
 * The connection is gone (the peer closed or reset it, or it was destroyed): nothing more
 * can be sent or received on it. `cause` holds the socket error, if there was one.
 */
export class ConnectionClosedError extends NetError {
  constructor(detail?: string, options?: NetErrorOptions) {
    const cause = options?.cause;
    const why =
      detail ??
      (cause instanceof Error
        ? `The connection is closed (${cause.message})`
        : 'The connection is closed');
    super(
      'ERR_CONNECTION_CLOSED',
      `${why}; the peer went away or the socket was destroyed, so stop using this connection`,
      options,
    );
  }
}

/**
 * A call on a client (or session) that was closed: pending calls fail with it, and so do
 * new ones. Create a new client to continue.
 */
export class ClientClosedError extends NetError {
  constructor(message = 'The client is closed; pending and new calls fail. Create a new client') {
    super('ERR_CLIENT_CLOSED', message);
  }
}

/** A call that the server's state does not allow, such as `listen()` twice or after `close()`. */
export class ServerStateError extends NetError {
  constructor(message: string) {
    super('ERR_SERVER_STATE', message);
  }
}

/** `listen()` or `bind()` failed (address in use, permission denied, ...); `cause` holds the system error. */
export class ListenError extends NetError {
  /** Where listening was tried: `host:port` or a socket path. */
  readonly address: string;

  constructor(address: string, cause: unknown) {
    const code = (cause as { code?: string } | null)?.code;
    const hint =
      code === 'EADDRINUSE'
        ? 'another process is using it; pick another port or stop that process'
        : code === 'EACCES'
          ? 'ports below 1024 need privileges; use a higher port'
          : 'check the address and permissions';
    super('ERR_LISTEN', `Cannot listen on ${address}: ${code ?? String(cause)}; ${hint}`, {
      cause,
    });
    this.address = address;
  }
}
