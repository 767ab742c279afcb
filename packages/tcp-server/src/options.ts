import type { Socket } from 'node:net';
import {
  checkBoolean,
  checkByteSize,
  checkCount,
  checkMs,
  checkOptionalFunction,
  InvalidArgumentError,
  withDefaults,
} from '@net/core';
import type { StreamReaderOptions } from '@net/stream-reader';

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

/**
 * Where an error reported to `onError` happened: `'accept'` (the listening socket),
 * `'verify'` (the `verify` hook threw), `'handshake'` (a connection failed or timed out
 * in its first phase: TLS handshake, authentication, header), `'handler'` (the handler threw).
 */
export type ErrorPhase = 'accept' | 'verify' | 'handshake' | 'handler';

/** What `onError` is told besides the error: one shape for every `@net` server. */
export interface ErrorContext {
  /** Where it happened. */
  phase: ErrorPhase;
  /** The client's address, when a connection is involved. */
  remoteAddress?: string | undefined;
  /** The client's port, when a connection is involved. */
  remotePort?: number | undefined;
}

/** The error hook of every `@net` stream server. */
export type ErrorHook = (error: unknown, context: ErrorContext) => void;

/** Options of {@link createTcpServer}; the defaults are in {@link TCP_SERVER_DEFAULTS}. */
export interface TcpServerOptions {
  /**
   * Most connections open at once, counted from the moment one is accepted (before any
   * `verify`, handshake or authentication); 0 = no limit. When full, a new connection is
   * closed at once and counted in `stats().refused`.
   */
  maxConnections?: number | undefined;
  /**
   * Close a connection after this many ms without progress in either direction: nothing
   * received, and nothing we sent taken by the peer (a client that stops reading is as
   * idle as a silent one); 0 = never. On by default (5 minutes).
   */
  idleTimeout?: number | undefined;
  /**
   * Ms from accept until the connection has finished its first phase (the handler calls
   * `conn.established()`; servers built on this one call it after their TLS handshake,
   * authentication or header). Past it the connection is closed and counted in
   * `stats().timeouts`. 0 = no first phase (the default of `createTcpServer`).
   */
  handshakeTimeout?: number | undefined;
  /** Disable Nagle's algorithm, so small writes go out at once (socketserver's disable_nagle_algorithm). */
  noDelay?: boolean | undefined;
  /** TCP keep-alive probe delay in ms; 0 = keep-alive off. */
  keepAlive?: number | undefined;
  /** Length of the kernel's queue of not-yet-accepted connections (request_queue_size). */
  backlog?: number | undefined;
  /**
   * Let several processes listen on the same port (SO_REUSEPORT; Node 22.12+ on Linux).
   * Plain address reuse (SO_REUSEADDR, allow_reuse_address) is always on.
   */
  reusePort?: boolean | undefined;
  /**
   * `conn.write()` waits for 'drain' only once this many bytes wait in the socket's write
   * buffer (at least the socket's own highWaterMark); this bounds memory per connection.
   */
  writeHighWaterMark?: number | undefined;
  /** After a handler returns, ms to wait for the peer to close its side before destroying the socket. */
  endTimeout?: number | undefined;
  /** Default `timeout` of `close()`, in ms. */
  closeTimeout?: number | undefined;
  /** Options of each connection's StreamReader (read-ahead limit, default read timeout, line and frame limits). */
  reader?: StreamReaderOptions | undefined;
  /**
   * Decides whether to serve a client before its handler runs (socketserver's
   * verify_request). Return (or resolve) `false` to refuse: the socket is closed and
   * counted in `stats().refused`. A throw also refuses, and is reported to `onError`.
   */
  verify?: ((remote: RemoteInfo) => boolean | Promise<boolean>) | undefined;
  /**
   * Called when a handler throws or rejects, `verify` throws, accepting fails, or a
   * connection fails its first phase (socketserver's handle_error). Only that connection
   * is closed. Peer resets and timeouts are counted in `stats()`, not reported. Default:
   * one line on stderr for `'accept'`, `'verify'` and `'handler'` errors (handshake
   * failures are the peers' doing and are only counted).
   */
  onError?: ErrorHook | undefined;
}

/** The defaults of {@link TcpServerOptions}. */
export const TCP_SERVER_DEFAULTS = {
  /** No limit. */
  maxConnections: 0,
  /** 5 minutes. */
  idleTimeout: 300_000,
  /** No first phase. */
  handshakeTimeout: 0,
  /** Nagle off. */
  noDelay: true,
  /** Keep-alive probes off. */
  keepAlive: 0,
  /** 511, Node's default. */
  backlog: 511,
  /** No SO_REUSEPORT. */
  reusePort: false,
  /** 1 MiB per connection. */
  writeHighWaterMark: 1024 * 1024,
  /** 5 s. */
  endTimeout: 5_000,
  /** 5 s. */
  closeTimeout: 5_000,
  /** `@net/stream-reader`'s defaults (`STREAM_READER_DEFAULTS`). */
  reader: {},
} as const satisfies Required<Omit<TcpServerOptions, 'verify' | 'onError'>>;

/** Options after defaults are applied. */
export type ResolvedOptions = {
  [K in keyof typeof TCP_SERVER_DEFAULTS]: K extends 'reader'
    ? StreamReaderOptions
    : (typeof TCP_SERVER_DEFAULTS)[K] extends boolean
      ? boolean
      : number;
} & Pick<TcpServerOptions, 'verify' | 'onError'>;

/** Applies the defaults (`undefined` = the default) and checks every value; throws `ERR_INVALID_ARGUMENT`. */
export function resolveOptions(options: TcpServerOptions | undefined): ResolvedOptions {
  const resolved = withDefaults(TCP_SERVER_DEFAULTS, options) as unknown as ResolvedOptions;
  checkCount('maxConnections', resolved.maxConnections);
  checkMs('idleTimeout', resolved.idleTimeout);
  checkMs('handshakeTimeout', resolved.handshakeTimeout);
  checkMs('keepAlive', resolved.keepAlive);
  checkCount('backlog', resolved.backlog, 1);
  checkByteSize('writeHighWaterMark', resolved.writeHighWaterMark, 1);
  checkMs('endTimeout', resolved.endTimeout);
  checkMs('closeTimeout', resolved.closeTimeout);
  checkBoolean('noDelay', resolved.noDelay);
  checkBoolean('reusePort', resolved.reusePort);
  checkOptionalFunction('verify', resolved.verify);
  checkOptionalFunction('onError', resolved.onError);
  if (resolved.reader === null || typeof resolved.reader !== 'object') {
    throw new InvalidArgumentError('reader must be an object of StreamReader options');
  }
  return resolved;
}
