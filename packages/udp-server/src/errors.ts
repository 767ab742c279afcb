/**
 * Error classes of `@net/udp-server`. Each extends {@link NetError} (from `@net/core`) with
 * a stable `code`; branch on `code`, not on `message`. Conditions every package shares use
 * `@net/core`'s classes: a bad option is core's `InvalidArgumentError`, an aborted request a
 * subclass of `AbortedError`, a failed bind a `ListenError`, a call the server's state does
 * not allow a `ServerStateError`.
 */
import {
  AbortedError,
  ClientClosedError as CoreClientClosedError,
  InvalidArgumentError,
  ListenError,
  NetError,
  ServerStateError,
} from '@net/core';

export { InvalidArgumentError, ListenError, NetError, ServerStateError };

/** A payload is larger than one UDP datagram can carry; nothing was sent. */
export class DatagramTooLargeError extends NetError {
  /** The payload size that was refused, in bytes. */
  readonly size: number;
  /** The largest payload for this destination: 65,507 (IPv4) or 65,527 (IPv6). */
  readonly limit: number;

  constructor(size: number, limit: number) {
    super(
      'ERR_DATAGRAM_TOO_LARGE',
      `Payload of ${size} bytes exceeds the ${limit}-byte maximum of one UDP datagram to this ` +
        'destination; split it into several datagrams or use a stream transport (TCP)',
    );
    this.size = size;
    this.limit = limit;
  }
}

/** A request got no matching reply after its last attempt. */
export class RequestTimeoutError extends NetError {
  /** How many datagrams were sent for this request (1 + retries). */
  readonly attempts: number;
  /** The total time waited, in milliseconds. */
  readonly elapsed: number;

  constructor(attempts: number, elapsed: number) {
    super(
      'ERR_REQUEST_TIMEOUT',
      `No reply after ${attempts} attempt(s) over ${Math.round(elapsed)} ms; the peer may be down, ` +
        'or the request or its reply was lost: raise timeout or retries, or check the address',
    );
    this.attempts = attempts;
    this.elapsed = elapsed;
  }
}

/** A request was cancelled through its `signal` (`ERR_ABORTED`, core's `AbortedError`). */
export class RequestAbortedError extends AbortedError {
  constructor(reason: unknown) {
    super('The request was aborted by its signal before a reply arrived', reason);
  }
}

/**
 * The client was closed while the request was pending, or before it was made
 * (`ERR_CLIENT_CLOSED`, core's `ClientClosedError`).
 */
export class ClientClosedError extends CoreClientClosedError {
  constructor() {
    super(
      'The UDP client was closed; pending and new requests fail. Create a new client to continue',
    );
  }
}

/**
 * A reply, or `bind()`, on a server that is closed (or a reply on one never bound):
 * `ERR_SERVER_STATE`, core's `ServerStateError`.
 */
export class ServerClosedError extends ServerStateError {
  constructor(what: 'reply' | 'bind' = 'reply') {
    super(
      what === 'bind'
        ? 'This UDP server was closed; create a new server to bind again'
        : 'The UDP server is closed or not bound, so the reply was not sent; ' +
            'replies of handlers still running at close() are discarded',
    );
  }
}

/** `bind()` on a server that is already bound or binding: `ERR_SERVER_STATE`. */
export class AlreadyBoundError extends ServerStateError {
  constructor() {
    super('This UDP server is already bound; create another server to listen on a second address');
  }
}

const describe = (cause: unknown): string =>
  cause instanceof Error ? cause.message : String(cause);

/** Base of the errors about one address and port that wrap what went wrong in `cause`. */
export abstract class EndpointError extends NetError {
  /** The address involved: the one to bind, the destination, or the peer served. */
  readonly address: string;
  /** The port involved. */
  readonly port: number;

  protected constructor(
    code: string,
    message: string,
    address: string,
    port: number,
    cause: unknown,
  ) {
    super(code, message, { cause });
    this.address = address;
    this.port = port;
  }
}

/**
 * The operating system refused to bind the socket (`cause` holds e.g. `EADDRINUSE`): the
 * condition every server's failed `listen()` is, so `ERR_LISTEN`, core's `ListenError`.
 * `address` is `host:port` as for every `ListenError`; `host` and `port` are apart.
 */
export class BindError extends ListenError {
  /** The host (address) the bind was tried on. */
  readonly host: string;
  /** The port the bind was tried on. */
  readonly port: number;

  constructor(host: string, port: number, cause: unknown) {
    super(`${host.includes(':') ? `[${host}]` : host}:${port}`, cause);
    this.host = host;
    this.port = port;
  }
}

/** The operating system refused to send a datagram (`cause` holds e.g. `EHOSTUNREACH`). */
export class SendError extends EndpointError {
  constructor(address: string, port: number, cause: unknown) {
    super(
      'ERR_SEND_FAILED',
      `Could not send a datagram to ${address} port ${port}: ${describe(cause)}; check the ` +
        'address and the route to it',
      address,
      port,
      cause,
    );
  }
}

/**
 * A datagram handler threw or rejected; `cause` holds what it threw. The server keeps
 * serving. (Its own code: `@net/event-loop`'s `ERR_HANDLER_FAILED` is another condition,
 * an event handler removed from its loop.)
 */
export class HandlerError extends EndpointError {
  constructor(address: string, port: number, cause: unknown) {
    super(
      'ERR_DATAGRAM_HANDLER_FAILED',
      `The handler failed on a datagram from ${address} port ${port}: ${describe(cause)}; ` +
        'the server keeps serving other datagrams',
      address,
      port,
      cause,
    );
  }
}
