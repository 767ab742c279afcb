import { createServer, type Server, type Socket } from 'node:net';
import { NetError } from '@net/stream-reader';
import { Connection, kAbort, kAborted, kDetach } from './connection.js';
import {
  ConnectionClosedError,
  IdleTimeoutError,
  InvalidArgumentError,
  ListenError,
  ServerClosingError,
  ServerStateError,
} from './errors.js';
import {
  checkCount,
  checkMs,
  type ErrorSource,
  type RemoteInfo,
  type ResolvedOptions,
  resolveOptions,
  type TcpServerOptions,
} from './options.js';

/** A connection handler: serve `conn`; when the returned promise settles, the connection ends. */
export type ConnectionHandler = (conn: Connection) => unknown;

/** `listen()` on a TCP address. */
export interface TcpListenOptions {
  /** Address to bind; omitted = every interface (`::` with dual stack, or `0.0.0.0`). */
  host?: string;
  /** Port to bind; 0 picks a free one (read it from the result). */
  port: number;
  /** With `host: '::'`, accept IPv6 only (no IPv4-mapped clients). Default false (dual stack). */
  ipv6Only?: boolean;
}

/** `listen()` on a Unix domain socket (UnixStreamServer). */
export interface UnixListenOptions {
  /** Filesystem path of the socket; it must not exist yet. Removed again by `close()`. */
  path: string;
}

/** The bound TCP address `listen()` resolves with. */
export interface TcpAddress {
  /** The bound IP address, such as `127.0.0.1` or `::`. */
  address: string;
  /** `'IPv4'` or `'IPv6'`. */
  family: string;
  /** The bound port (the one picked, after `port: 0`). */
  port: number;
}

/** The bound Unix socket `listen()` resolves with. */
export interface UnixAddress {
  /** The socket's filesystem path. */
  path: string;
}

/** Options of {@link TcpServer.close}. */
export interface CloseOptions {
  /** Ms to wait for handlers to return and sockets to close before destroying them (default `closeTimeout`). */
  timeout?: number;
}

/** Counters returned by {@link TcpServer.stats}. */
export interface TcpServerStats {
  /** Connections open now (served, being verified, or ending). */
  active: number;
  /** Connections taken in, including refused ones. */
  accepted: number;
  /** Connections closed without running the handler: `maxConnections` reached, `verify` said no, or the server was closing. */
  refused: number;
  /** Bytes received, over all connections. */
  bytesIn: number;
  /** Bytes sent, over all connections. */
  bytesOut: number;
  /** Handlers that threw or rejected (each reported to `onError`). */
  handlerErrors: number;
  /** Socket errors from peers (`ECONNRESET`, `EPIPE`, ...); normal on the Internet, never reported. */
  socketErrors: number;
  /** Connections closed by `idleTimeout`. */
  timeouts: number;
}

type State = 'idle' | 'listening' | 'closing' | 'closed';

/** Codes of errors that a handler gets because its connection went away, not because of a bug. */
const CONSEQUENCES = new Set([
  'ERR_STREAM_ERROR',
  'ERR_STREAM_EOF',
  'ERR_ABORTED',
  'ERR_READER_RELEASED',
  'ERR_CONNECTION_CLOSED',
  'ERR_IDLE_TIMEOUT',
  'ERR_SERVER_CLOSING',
]);

/**
 * A TCP (or Unix socket) server that runs one handler per connection, in the manner of
 * Python's `socketserver`, with limits, idle timeouts, graceful shutdown and statistics.
 * Create it with {@link createTcpServer}.
 */
export class TcpServer {
  readonly #handler: ConnectionHandler;
  readonly #options: ResolvedOptions;
  readonly #server: Server;
  readonly #sockets = new Map<Socket, Connection | undefined>();
  /** Sockets whose handler has returned; they close once the peer ends or `endTimeout` passes. */
  readonly #ending = new Set<Socket>();
  #state: State = 'idle';
  /** True while listen() binds: its errors belong to that call, not to the error hook. */
  #binding = false;
  #running = 0;
  #accepted = 0;
  #refused = 0;
  #handlerErrors = 0;
  #socketErrors = 0;
  #timeouts = 0;
  #closedBytesIn = 0;
  #closedBytesOut = 0;
  #closing: Promise<void> | undefined;
  /** Resolved by {@link TcpServer.#checkSettled} during close(): when no socket is open (and no handler runs, unless `socketsOnly`). */
  #waiter: { resolve: () => void; socketsOnly: boolean } | undefined;

  constructor(handler: ConnectionHandler, options: TcpServerOptions = {}) {
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError('handler must be a function (conn) => Promise<void>');
    }
    this.#handler = handler;
    this.#options = resolveOptions(options);
    // Half-open on: a client that ends its side still gets our answers (echo after shutdown(SHUT_WR)).
    this.#server = createServer({ allowHalfOpen: true });
    this.#server.on('connection', (socket: Socket) => this.handleConnection(socket));
    // Accept failures (EMFILE under a connection flood) must not crash the process; libuv retries.
    this.#server.on('error', (error) => {
      if (!this.#binding) this.#report(error, undefined, 'accept');
    });
  }

  /** True while the server accepts connections. */
  get listening(): boolean {
    return this.#state === 'listening';
  }

  /**
   * Starts accepting connections on a TCP address or a Unix socket path, and resolves
   * with the bound address (read `port` from it after `port: 0`). Rejects with
   * `ERR_LISTEN` (address in use, ...), or `ERR_SERVER_STATE` if already listening or closed.
   */
  listen(options: TcpListenOptions): Promise<TcpAddress>;
  listen(options: UnixListenOptions): Promise<UnixAddress>;
  listen(options: TcpListenOptions | UnixListenOptions): Promise<TcpAddress | UnixAddress> {
    if (this.#state !== 'idle') {
      return Promise.reject(
        new ServerStateError(
          `listen() was called while the server is ${this.#state}; create a new server instead`,
        ),
      );
    }
    const { backlog, reusePort } = this.#options;
    let listenOptions: Record<string, unknown>;
    let where: string;
    try {
      if (options !== null && typeof options === 'object' && 'path' in options) {
        if (typeof options.path !== 'string' || options.path === '') {
          throw new InvalidArgumentError('path must be a non-empty string');
        }
        listenOptions = { path: options.path, backlog };
        where = options.path;
      } else {
        const { host, port, ipv6Only } = (options ?? {}) as TcpListenOptions;
        checkCount('port', port, 0);
        if (port > 65535) throw new InvalidArgumentError(`port must be 0 to 65535, got ${port}`);
        if (host !== undefined && typeof host !== 'string') {
          throw new InvalidArgumentError('host must be a string');
        }
        if (reusePort && !supportsReusePort()) {
          throw new InvalidArgumentError(
            `reusePort needs Node 22.12 or newer (this is ${process.version}); drop the option or upgrade`,
          );
        }
        listenOptions = { host, port, backlog, ipv6Only: ipv6Only === true };
        if (reusePort) listenOptions.reusePort = true;
        where = `${host ?? '*'}:${port}`;
      }
    } catch (error) {
      return Promise.reject(error);
    }
    this.#state = 'listening';
    this.#binding = true;
    const server = this.#server;
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        server.off('listening', onListening);
        this.#binding = false;
        this.#state = 'idle';
        reject(new ListenError(where, error));
      };
      const onListening = (): void => {
        server.off('error', onError);
        this.#binding = false;
        if (this.#state !== 'listening') {
          // close() was called while binding: do not stay open behind its back.
          server.close();
          reject(new ServerStateError('close() was called before listen() completed'));
          return;
        }
        const address = server.address();
        if (typeof address === 'string') resolve({ path: address });
        else resolve({ address: address!.address, family: address!.family, port: address!.port });
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(listenOptions);
    });
  }

  /**
   * Serves a socket accepted elsewhere (for example one a primary process passed to this
   * worker), with the same limits, `verify`, idle timeout, statistics and shutdown as
   * the server's own connections.
   */
  handleConnection(socket: Socket): void {
    socket.on('error', this.#onSocketError);
    this.#accepted++;
    if (socket.destroyed) {
      this.#refused++;
      return;
    }
    const { maxConnections } = this.#options;
    if (
      this.#state === 'closing' ||
      this.#state === 'closed' ||
      (maxConnections > 0 && this.#sockets.size >= maxConnections)
    ) {
      this.#refused++;
      socket.destroy();
      return;
    }
    this.#sockets.set(socket, undefined);
    socket.once('close', () => this.#onClose(socket));
    socket.allowHalfOpen = true;
    if (this.#options.noDelay) socket.setNoDelay(true);
    if (this.#options.keepAlive > 0) socket.setKeepAlive(true, this.#options.keepAlive);
    const { verify } = this.#options;
    if (verify === undefined) {
      this.#serve(socket);
      return;
    }
    socket.pause(); // nothing is read before the client is verified
    // A client that stalls a slow verify is still bound by idleTimeout.
    const onTimeout = (): void => {
      this.#timeouts++;
      socket.destroy();
    };
    if (this.#options.idleTimeout > 0) {
      socket.setTimeout(this.#options.idleTimeout);
      socket.once('timeout', onTimeout);
    }
    const remote: RemoteInfo = {
      address: socket.remoteAddress,
      port: socket.remotePort,
      family: socket.remoteFamily,
      socket,
    };
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = verify(remote);
    } catch (error) {
      verdict = Promise.reject(error);
    }
    if (verdict === true) {
      socket.off('timeout', onTimeout);
      this.#serve(socket);
      return;
    }
    Promise.resolve(verdict).then(
      (ok) => {
        socket.off('timeout', onTimeout);
        this.#afterVerify(socket, ok === true);
      },
      (error) => {
        socket.off('timeout', onTimeout);
        this.#report(error, undefined, 'verify');
        this.#afterVerify(socket, false);
      },
    );
  }

  /** Counters since the server was created. */
  stats(): TcpServerStats {
    let bytesIn = this.#closedBytesIn;
    let bytesOut = this.#closedBytesOut;
    for (const socket of this.#sockets.keys()) {
      bytesIn += socket.bytesRead;
      bytesOut += socket.bytesWritten;
    }
    return {
      active: this.#sockets.size,
      accepted: this.#accepted,
      refused: this.#refused,
      bytesIn,
      bytesOut,
      handlerErrors: this.#handlerErrors,
      socketErrors: this.#socketErrors,
      timeouts: this.#timeouts,
    };
  }

  /**
   * Shuts down gracefully: stops accepting, aborts every `conn.signal` (reason
   * `ERR_SERVER_CLOSING`), waits up to `timeout` ms for handlers to return and their
   * sockets to close, then destroys the sockets left. Resolves when every socket is gone.
   * Calling it again returns the same promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const timeout = options.timeout ?? this.#options.closeTimeout;
    try {
      checkMs('timeout', timeout);
    } catch (error) {
      return Promise.reject(error);
    }
    const wasListening = this.#state === 'listening';
    this.#state = 'closing';
    this.#closing = this.#shutDown(wasListening, timeout);
    return this.#closing;
  }

  async #shutDown(wasListening: boolean, timeout: number): Promise<void> {
    const server = this.#server;
    const unbound =
      wasListening && !this.#binding
        ? new Promise<void>((resolve) => server.close(() => resolve()))
        : Promise.resolve();
    const reason = new ServerClosingError();
    for (const conn of this.#sockets.values()) conn?.[kAbort](reason);
    // Connections whose handler is done only wait for their peer: close them once flushed.
    for (const socket of this.#ending) closeWhenFlushed(socket);
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#waiter = { resolve, socketsOnly: false };
      timer = setTimeout(resolve, timeout);
      this.#checkSettled();
    });
    clearTimeout(timer);
    for (const socket of this.#sockets.keys()) socket.destroy();
    await new Promise<void>((resolve) => {
      this.#waiter = { resolve, socketsOnly: true };
      this.#checkSettled();
    });
    await unbound;
    this.#state = 'closed';
  }

  #afterVerify(socket: Socket, ok: boolean): void {
    if (socket.destroyed) return; // the client left while being verified
    if (!ok || this.#state === 'closing' || this.#state === 'closed') {
      this.#refused++;
      socket.destroy();
      return;
    }
    this.#serve(socket);
  }

  #serve(socket: Socket): void {
    const conn = new Connection(socket, this.#options.reader, this.#options.writeHighWaterMark);
    this.#sockets.set(socket, conn);
    const { idleTimeout, endTimeout } = this.#options;
    let running = true;
    socket.on('timeout', () => {
      if (running && !conn[kAborted]) {
        this.#timeouts++;
        conn[kAbort](new IdleTimeoutError(idleTimeout));
      }
      socket.destroy();
    });
    if (idleTimeout > 0) socket.setTimeout(idleTimeout);
    this.#running++;
    let result: unknown;
    try {
      result = this.#handler(conn);
    } catch (error) {
      result = Promise.reject(error);
    }
    Promise.resolve(result).then(
      () => {
        // Done: end our side, drop what the peer still sends, give it endTimeout to close.
        running = false;
        this.#running--;
        if (!socket.destroyed) {
          conn[kDetach]();
          socket.resume();
          socket.end();
          socket.setTimeout(endTimeout);
          this.#ending.add(socket);
          if (this.#state === 'closing') closeWhenFlushed(socket);
        }
        this.#checkSettled();
      },
      (error) => {
        running = false;
        this.#running--;
        this.#fail(conn, error);
        this.#checkSettled();
      },
    );
  }

  /** The handler threw: report it unless it only saw its connection go away; close that connection. */
  #fail(conn: Connection, error: unknown): void {
    const consequence = conn[kAborted] && error instanceof NetError && CONSEQUENCES.has(error.code);
    if (!consequence) {
      this.#handlerErrors++;
      this.#report(error, conn, 'handler');
    }
    conn[kAbort](new ConnectionClosedError(error));
    conn.socket.destroy();
  }

  #report(error: unknown, conn: Connection | undefined, source: ErrorSource): void {
    const { onError } = this.#options;
    try {
      if (onError !== undefined) onError(error, conn, source);
      else defaultOnError(error, conn, source);
    } catch (hookError) {
      defaultOnError(hookError, conn, source);
    }
  }

  #onClose(socket: Socket): void {
    this.#closedBytesIn += socket.bytesRead;
    this.#closedBytesOut += socket.bytesWritten;
    this.#sockets.delete(socket);
    this.#ending.delete(socket);
    this.#checkSettled();
  }

  #checkSettled(): void {
    const waiter = this.#waiter;
    if (waiter === undefined || this.#sockets.size > 0) return;
    if (this.#running > 0 && !waiter.socketsOnly) return;
    this.#waiter = undefined;
    waiter.resolve();
  }

  /** Every socket's error listener: peer errors are counted, and surface as read/write errors. */
  readonly #onSocketError = (): void => {
    this.#socketErrors++;
  };
}

/**
 * Creates a {@link TcpServer} that calls `handler(conn)` for every connection. When the
 * handler's promise resolves, the server ends the connection; when it rejects, the error
 * goes to `onError` and only that connection is closed.
 */
export function createTcpServer(handler: ConnectionHandler, options?: TcpServerOptions): TcpServer {
  return new TcpServer(handler, options);
}

/** socketserver's handle_error: one line on stderr, and the server goes on. */
function defaultOnError(error: unknown, conn: Connection | undefined, source: ErrorSource): void {
  const peer = conn === undefined ? '' : ` (client ${conn.remoteAddress}:${conn.remotePort})`;
  console.error(`@net/tcp-server: ${source} error${peer}:`, error);
}

/** Destroys an ended socket once its data is handed to the kernel (which still delivers it). */
function closeWhenFlushed(socket: Socket): void {
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}

function supportsReusePort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}
