/**
 * Error classes of `@net/tcp-server`. Each extends {@link NetError} (from
 * `@net/stream-reader`) with a stable `code`; read errors (`ERR_STREAM_EOF`,
 * `ERR_TIMEOUT`, ...) come from `@net/stream-reader` itself and are re-exported.
 */
import { NetError } from '@net/stream-reader';

export { InvalidArgumentError, NetError } from '@net/stream-reader';

/**
 * The connection is gone (the peer closed or reset it, or it was destroyed): a write
 * cannot be delivered. Also the `conn.signal` reason when the connection closes.
 */
export class ConnectionClosedError extends NetError {
  constructor(cause?: unknown) {
    const detail = cause instanceof Error ? ` (${cause.message})` : '';
    super(
      'ERR_CONNECTION_CLOSED',
      `The connection is closed${detail}; the peer went away or the socket was destroyed, ` +
        'so stop writing to it and return from the handler',
      cause === undefined ? undefined : { cause },
    );
  }
}

/** The `conn.signal` reason when a connection saw no traffic for `idleTimeout` ms. */
export class IdleTimeoutError extends NetError {
  /** The idle timeout that elapsed, in milliseconds. */
  readonly timeout: number;

  constructor(timeout: number) {
    super(
      'ERR_IDLE_TIMEOUT',
      `No data was sent or received for ${timeout} ms (idleTimeout), so the connection was ` +
        'closed; raise idleTimeout if clients may legitimately stay silent that long',
    );
    this.timeout = timeout;
  }
}

/** The `conn.signal` reason when the server shuts down with `close()`. */
export class ServerClosingError extends NetError {
  constructor() {
    super(
      'ERR_SERVER_CLOSING',
      'The server is shutting down; finish the current exchange and return from the handler ' +
        'before close() times out and destroys the connection',
    );
  }
}

/** A call that the server's state does not allow, such as `listen()` twice or after `close()`. */
export class ServerStateError extends NetError {
  constructor(message: string) {
    super('ERR_SERVER_STATE', message);
  }
}

/** `listen()` failed (address in use, permission denied, ...); `cause` holds the system error. */
export class ListenError extends NetError {
  constructor(where: string, cause: unknown) {
    const code = (cause as { code?: string } | null)?.code;
    const hint =
      code === 'EADDRINUSE'
        ? 'another process is using it; pick another port or stop that process'
        : code === 'EACCES'
          ? 'ports below 1024 need privileges; use a higher port'
          : 'check the address and permissions';
    super('ERR_LISTEN', `Cannot listen on ${where}: ${code ?? String(cause)}; ${hint}`, { cause });
  }
}
