import type { Socket } from 'node:net';
import type { StreamReaderOptions } from '@net/stream-reader';
import type { Connection } from './connection.js';
import { InvalidArgumentError } from './errors.js';

/** Who is connecting, as passed to {@link TcpServerOptions.verify}. */
export interface RemoteInfo {
  /** The peer's IP address (`undefined` on Unix domain sockets). */
  address: string | undefined;
  /** The peer's port (`undefined` on Unix domain sockets). */
  port: number | undefined;
  /** `'IPv4'`, `'IPv6'`, or `undefined` on Unix domain sockets. */
  family: string | undefined;
  /** The accepted socket, not yet handed to a handler. */
  socket: Socket;
}

/** Where the error hook's error came from. */
export type ErrorSource = 'handler' | 'verify' | 'accept';

/** Options of {@link createTcpServer}; the defaults are in {@link TCP_SERVER_DEFAULTS}. */
export interface TcpServerOptions {
  /**
   * Most connections served at once (including those in `verify`); 0 = no limit. When full,
   * a new connection is accepted and closed at once and counted in `stats().refused`.
   */
  maxConnections?: number;
  /**
   * Close a connection after this many ms without traffic either way; 0 = never. On by
   * default (5 minutes) so a silent client (slowloris) cannot hold a connection forever.
   */
  idleTimeout?: number;
  /** Disable Nagle's algorithm, so small writes go out at once (socketserver's disable_nagle_algorithm). */
  noDelay?: boolean;
  /** TCP keep-alive probe delay in ms; 0 = keep-alive off. */
  keepAlive?: number;
  /** Length of the kernel's queue of not-yet-accepted connections (request_queue_size). */
  backlog?: number;
  /**
   * Let several processes listen on the same port (SO_REUSEPORT; Node 22.12+ on Linux).
   * Plain address reuse (SO_REUSEADDR, allow_reuse_address) is always on.
   */
  reusePort?: boolean;
  /**
   * `conn.write()` waits for 'drain' only once this many bytes wait in the socket's write
   * buffer (at least the socket's own highWaterMark); this bounds memory per connection.
   */
  writeHighWaterMark?: number;
  /** After a handler returns, ms to wait for the peer to close its side before destroying the socket. */
  endTimeout?: number;
  /** Default `timeout` of `close()`, in ms. */
  closeTimeout?: number;
  /** Options of each connection's StreamReader (read-ahead limit, default read timeout, line and frame limits). */
  reader?: StreamReaderOptions;
  /**
   * Decides whether to serve a client before its handler runs (socketserver's
   * verify_request). Return (or resolve) `false` to refuse: the socket is closed and
   * counted in `stats().refused`. A throw also refuses, and is reported to `onError`.
   */
  verify?: ((remote: RemoteInfo) => boolean | Promise<boolean>) | undefined;
  /**
   * Called when a handler throws or rejects, or `verify` throws (socketserver's
   * handle_error). Only that connection is closed. Peer resets and timeouts are not
   * reported here; they are counted in `stats()`. Default: one line on stderr.
   */
  onError?:
    | ((error: unknown, conn: Connection | undefined, source: ErrorSource) => void)
    | undefined;
}

/** The defaults of {@link TcpServerOptions}. */
export const TCP_SERVER_DEFAULTS = {
  maxConnections: 0,
  idleTimeout: 300_000,
  noDelay: true,
  keepAlive: 0,
  backlog: 511,
  reusePort: false,
  writeHighWaterMark: 1024 * 1024,
  endTimeout: 5_000,
  closeTimeout: 5_000,
  reader: {},
} as const satisfies Required<Omit<TcpServerOptions, 'verify' | 'onError'>>;

/** Options after defaults are applied. */
export type ResolvedOptions = Required<Omit<TcpServerOptions, 'verify' | 'onError'>> &
  Pick<TcpServerOptions, 'verify' | 'onError'>;

/** Applies the defaults and checks every value; throws `ERR_INVALID_ARGUMENT`. */
export function resolveOptions(options: TcpServerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('options must be an object');
  }
  const defined = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  );
  const resolved = { ...TCP_SERVER_DEFAULTS, ...defined } as unknown as ResolvedOptions;
  checkCount('maxConnections', resolved.maxConnections, 0);
  checkMs('idleTimeout', resolved.idleTimeout);
  checkMs('keepAlive', resolved.keepAlive);
  checkCount('backlog', resolved.backlog, 1);
  checkCount('writeHighWaterMark', resolved.writeHighWaterMark, 1);
  checkMs('endTimeout', resolved.endTimeout);
  checkMs('closeTimeout', resolved.closeTimeout);
  for (const name of ['noDelay', 'reusePort'] as const) {
    if (typeof resolved[name] !== 'boolean') {
      throw new InvalidArgumentError(`${name} must be a boolean, got ${String(resolved[name])}`);
    }
  }
  for (const name of ['verify', 'onError'] as const) {
    if (resolved[name] !== undefined && typeof resolved[name] !== 'function') {
      throw new InvalidArgumentError(`${name} must be a function`);
    }
  }
  if (resolved.reader === null || typeof resolved.reader !== 'object') {
    throw new InvalidArgumentError('reader must be an object of StreamReader options');
  }
  return resolved;
}

/** Checks a count that may be `min` or more. */
export function checkCount(name: string, value: unknown, min: number): void {
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/** Checks a duration in milliseconds (0 = none). */
export function checkMs(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 2 ** 31 - 1) {
    throw new InvalidArgumentError(
      `${name} must be a number of milliseconds from 0 (none) to 2147483647, got ${String(value)}`,
    );
  }
}
