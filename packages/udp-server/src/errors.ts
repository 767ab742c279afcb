/**
 * Error classes of `@net/udp-server`. Each extends {@link NetError} (from
 * `@net/stream-reader`) with a stable `code`; branch on `code`, not on `message`.
 */
import { InvalidArgumentError, NetError } from '@net/stream-reader';

export { InvalidArgumentError, NetError };

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

/** A request was cancelled through its `signal`. */
export class RequestAbortedError extends NetError {
  constructor(reason: unknown) {
    super('ERR_ABORTED', 'The request was aborted by its signal before a reply arrived', {
      cause: reason,
    });
  }
}

/** The client was closed while the request was pending, or before it was made. */
export class ClientClosedError extends NetError {
  constructor() {
    super(
      'ERR_CLIENT_CLOSED',
      'The UDP client was closed; pending and new requests fail. Create a new client to continue',
    );
  }
}

/** A reply or send was attempted on a server that is closed (or was never bound). */
export class ServerClosedError extends NetError {
  constructor() {
    super(
      'ERR_SERVER_CLOSED',
      'The UDP server is closed or not bound, so the reply was not sent; ' +
        'replies of handlers still running at close() are discarded',
    );
  }
}

/** `bind()` was called on a server that is already bound or binding. */
export class AlreadyBoundError extends NetError {
  constructor() {
    super(
      'ERR_ALREADY_BOUND',
      'This UDP server is already bound; create another server to listen on a second address',
    );
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

/** The operating system refused to bind the socket (`cause` holds e.g. `EADDRINUSE`). */
export class BindError extends EndpointError {
  constructor(address: string, port: number, cause: unknown) {
    super(
      'ERR_BIND_FAILED',
      `Could not bind UDP socket to ${address} port ${port}: ${describe(cause)}; pick another ` +
        'port, pass reuseAddr: true to share it, or check the address exists on this host',
      address,
      port,
      cause,
    );
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

/** A handler threw or rejected; `cause` holds what it threw. The server keeps serving. */
export class HandlerError extends EndpointError {
  constructor(address: string, port: number, cause: unknown) {
    super(
      'ERR_HANDLER_FAILED',
      `The handler failed on a datagram from ${address} port ${port}: ${describe(cause)}; ` +
        'the server keeps serving other datagrams',
      address,
      port,
      cause,
    );
  }
}
