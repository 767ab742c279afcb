import { createServer, type Server, type Socket } from 'node:net';
import { checkCount, checkMs, NetError } from '@net/core';
import { Connection, closedError, kDetach } from './connection.js';
import { type ConnectionContext, ConnectionState } from './context.js';
import {
  ConnectionClosedError,
  HandshakeTimeoutError,
  IdleTimeoutError,
  InvalidArgumentError,
  ListenError,
  ServerClosingError,
  ServerStateError,
} from './errors.js';
import {
  type ErrorContext,
  type ErrorPhase,
  type RemoteInfo,
  type ResolvedOptions,
  resolveOptions,
  type TcpServerOptions,
} from './options.js';

/** A connection handler: serve `conn`; when the returned promise settles, the connection ends. */
export type ConnectionHandler = (conn: Connection) => unknown;

/**
 * A socket handler, for servers built on this lifecycle (TLS, ipc, bulk): serve the
 * accepted `socket` (wrap it, authenticate, read a header, ...) and call
 * `context.markEstablished()` once the first phase is done. When the returned promise
 * settles, the connection ends.
 */
export type SocketHandler = (socket: Socket, context: ConnectionContext) => unknown;

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

/**
 * Counters returned by {@link TcpServer.stats}: the same fields in every `@net` stream
 * server (TLS, ipc and bulk servers add their own).
 */
export interface TcpServerStats {
  /** Connections open now (in their first phase, served, or ending). */
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
  /** Connections closed by `idleTimeout` or `handshakeTimeout`. */
  timeouts: number;
  /** Connections whose handler failed before the first phase was done (bad handshake, wrong key, bad header). */
  handshakeFailures: number;
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
  'ERR_HANDSHAKE_TIMEOUT',
  'ERR_SERVER_CLOSING',
]);

/**
 * A TCP (or Unix socket) server that runs one handler per connection, in the manner of
 * Python's `socketserver`, with limits, idle timeouts, graceful shutdown and statistics.
 * Create it with {@link createTcpServer}.
 */
export class TcpServer {
  readonly #run: (state: ConnectionState) => unknown;
  readonly #kind: 'connection' | 'socket';
  readonly #options: ResolvedOptions;
  readonly #server: Server;
  /** Every open connection, by its accepted socket. */
  readonly #sockets = new Map<Socket, ConnectionState>();
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
  #handshakeFailures = 0;
  #closedBytesIn = 0;
  #closedBytesOut = 0;
  #closing: Promise<void> | undefined;
  /** The idle sweep, while some connection has a quiet limit. */
  #idleSweep: NodeJS.Timeout | undefined;
  /** How often the sweep runs: an eighth of the shortest quiet limit, from 5 ms to 1 s. */
  readonly #sweepInterval: number;
  /** Resolved by {@link TcpServer.#checkSettled} during close(): when no socket is open (and no handler runs, unless `socketsOnly`). */
  #waiter: { resolve: () => void; socketsOnly: boolean } | undefined;

  /**
   * Prefer {@link createTcpServer} (a {@link Connection} per client) or
   * {@link createSocketServer} (the accepted socket and its context).
   */
  constructor(
    handler: ConnectionHandler | SocketHandler,
    options?: TcpServerOptions,
    kind: 'connection' | 'socket' = 'connection',
  ) {
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError('handler must be a function (conn) => Promise<void>');
    }
    this.#options = resolveOptions(options);
    this.#kind = kind;
    const limits = [this.#options.idleTimeout, this.#options.endTimeout].filter((ms) => ms > 0);
    this.#sweepInterval = Math.min(1_000, Math.max(5, Math.floor(Math.min(...limits) / 8)));
    this.#run =
      kind === 'socket'
        ? (state) => (handler as SocketHandler)(state.active, state)
        : (state) => (handler as ConnectionHandler)(state.connection());
    // Half-open on: a client that ends its side still gets our answers (echo after shutdown(SHUT_WR)).
    this.#server = createServer({ allowHalfOpen: true });
    this.#server.on('connection', (socket: Socket) => this.handleConnection(socket));
    // Accept failures (EMFILE under a connection flood) must not crash the process; libuv retries.
    this.#server.on('error', (error) => {
      if (!this.#binding) this.#report(error, 'accept', undefined);
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
   * worker), with the same limits, `verify`, deadlines, statistics and shutdown as the
   * server's own connections.
   */
  handleConnection(socket: Socket): void {
    socket.on('error', this.#onSocketError);
    this.#accepted++;
    if (socket.destroyed) {
      this.#refused++;
      return;
    }
    const { maxConnections, idleTimeout, handshakeTimeout, verify } = this.#options;
    if (
      this.#state === 'closing' ||
      this.#state === 'closed' ||
      (maxConnections > 0 && this.#sockets.size >= maxConnections)
    ) {
      this.#refused++;
      socket.destroy();
      return;
    }
    const state = new ConnectionState(socket, this.#onEstablished, this.#onUseSocket, this.#open);
    // A plain TCP server has a first phase only when it sets handshakeTimeout.
    if (this.#kind === 'connection' && handshakeTimeout === 0) state.established = true;
    this.#sockets.set(socket, state);
    socket.once('close', () => this.#onClose(state));
    socket.allowHalfOpen = true;
    if (this.#options.noDelay) socket.setNoDelay(true);
    if (this.#options.keepAlive > 0) socket.setKeepAlive(true, this.#options.keepAlive);
    // Both clocks run from accept: a client in verify or in its handshake is bound by them too.
    this.#watchIdle(state, idleTimeout);
    if (handshakeTimeout > 0) {
      state.handshakeTimer = setTimeout(this.#onHandshakeTimeout, handshakeTimeout, state);
    }
    if (verify === undefined) {
      this.#serve(state);
      return;
    }
    socket.pause(); // nothing is read before the client is verified
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
      this.#serve(state);
      return;
    }
    Promise.resolve(verdict).then(
      (ok) => this.#afterVerify(state, ok === true),
      (error) => {
        this.#report(error, 'verify', state);
        this.#afterVerify(state, false);
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
      handshakeFailures: this.#handshakeFailures,
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
    for (const state of this.#sockets.values()) {
      // A connection still in its first phase has nothing to finish: drop it now.
      if (!state.established) state.destroy();
      else state.abort(reason);
    }
    // Connections whose handler is done only wait for their peer: close them once flushed.
    for (const socket of this.#ending) closeWhenFlushed(socket);
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#waiter = { resolve, socketsOnly: false };
      timer = setTimeout(resolve, timeout);
      this.#checkSettled();
    });
    clearTimeout(timer);
    for (const state of this.#sockets.values()) state.destroy();
    await new Promise<void>((resolve) => {
      this.#waiter = { resolve, socketsOnly: true };
      this.#checkSettled();
    });
    await unbound;
    this.#state = 'closed';
  }

  #afterVerify(state: ConnectionState, ok: boolean): void {
    if (state.raw.destroyed) return; // the client left while being verified
    if (!ok || this.#state === 'closing' || this.#state === 'closed') {
      this.#refused++;
      state.destroy();
      return;
    }
    this.#serve(state);
  }

  #serve(state: ConnectionState): void {
    state.running = true;
    this.#running++;
    let result: unknown;
    try {
      result = this.#run(state);
    } catch (error) {
      result = Promise.reject(error);
    }
    Promise.resolve(result).then(
      () => {
        // Done: end our side, drop what the peer still sends, give it endTimeout to close.
        state.running = false;
        this.#running--;
        clearTimeout(state.handshakeTimer);
        const socket = state.active;
        if (!socket.destroyed) {
          state.opened?.[kDetach]();
          socket.resume();
          socket.end();
          this.#watchIdle(state, this.#options.endTimeout);
          this.#ending.add(state.raw);
          if (this.#state === 'closing') closeWhenFlushed(socket);
        }
        this.#checkSettled();
      },
      (error) => {
        state.running = false;
        this.#running--;
        this.#fail(state, error);
        this.#checkSettled();
      },
    );
  }

  /**
   * The handler threw: report it unless it only saw its connection go away (or it was a
   * peer's failed handshake); close that connection.
   */
  #fail(state: ConnectionState, error: unknown): void {
    clearTimeout(state.handshakeTimer);
    // Once the connection's signal is aborted, errors that say so (directly, or wrapping the
    // abort reason, as a handshake's "aborted" error does) are consequences, not bugs.
    const consequence =
      state.aborted &&
      (error === state.reason ||
        (error as { cause?: unknown } | null)?.cause === state.reason ||
        (error instanceof NetError && CONSEQUENCES.has(error.code)));
    if (!consequence) {
      if (state.established) {
        this.#handlerErrors++;
        this.#report(error, 'handler', state);
      } else {
        this.#handshakeFailures++;
        if (this.#options.onError !== undefined) this.#report(error, 'handshake', state);
      }
    }
    state.abort(new ConnectionClosedError(undefined, { cause: error }));
    state.destroy();
  }

  #report(error: unknown, phase: ErrorPhase, state: ConnectionState | undefined): void {
    const context: ErrorContext = {
      phase,
      remoteAddress: state?.remoteAddress,
      remotePort: state?.remotePort,
    };
    const { onError } = this.#options;
    try {
      if (onError !== undefined) onError(error, context);
      else reportError('@net/tcp-server', error, context);
    } catch (hookError) {
      reportError('@net/tcp-server', hookError, context);
    }
  }

  /** No progress either way for idleTimeout (or endTimeout once the handler is done). */
  #onIdle(state: ConnectionState): void {
    if (!this.#ending.has(state.raw) && !state.aborted) {
      this.#timeouts++;
      state.abort(new IdleTimeoutError(this.#options.idleTimeout));
    }
    state.destroy();
  }

  readonly #onHandshakeTimeout = (state: ConnectionState): void => {
    state.handshakeTimer = undefined;
    if (state.established || state.raw.destroyed) return;
    this.#timeouts++;
    const error = new HandshakeTimeoutError(this.#options.handshakeTimeout);
    state.abort(error);
    state.destroy();
    if (this.#options.onError !== undefined) this.#report(error, 'handshake', state);
  };

  readonly #open = (state: ConnectionState): Connection =>
    new Connection(state.active, this.#options.reader, this.#options.writeHighWaterMark, state);

  readonly #onEstablished = (state: ConnectionState): void => {
    clearTimeout(state.handshakeTimer);
    state.handshakeTimer = undefined;
  };

  /** A wrapper (TLS) took over the accepted socket: idle timing and close follow it. */
  readonly #onUseSocket = (state: ConnectionState): void => {
    const socket = state.active;
    socket.on('error', this.#onSocketError);
    socket.once('close', () => state.raw.destroy());
    this.#watchIdle(state, this.#options.idleTimeout); // progress is counted on the new socket
  };

  /**
   * (Re)starts the connection's idle clock with `limit` ms (0: none). Idle time is checked
   * by one sweep per server over the byte counters of the sockets, not by a timer per
   * socket: Node refreshes a socket's own timeout on every read and write, a cost paid per
   * message (about a tenth of a small echo's CPU time), where the sweep costs nothing per message.
   */
  #watchIdle(state: ConnectionState, limit: number): void {
    state.quietLimit = limit;
    state.progress = progressOf(state.active);
    state.quietSweeps = 0;
    if (limit > 0 && this.#idleSweep === undefined) {
      this.#idleSweep = setInterval(this.#sweepIdle, this.#sweepInterval);
      this.#idleSweep.unref(); // the sockets keep the process alive, not their clock
    }
  }

  /** Closes connections that made no progress for their quiet limit; stops when none is left. */
  readonly #sweepIdle = (): void => {
    if (this.#sockets.size === 0) {
      clearInterval(this.#idleSweep);
      this.#idleSweep = undefined;
      return;
    }
    // Counting sweeps, not reading a clock: a connection is closed between its limit and
    // one sweep interval later (setInterval does not drift, it may only run late).
    const interval = this.#sweepInterval;
    for (const state of this.#sockets.values()) {
      if (state.quietLimit === 0) continue;
      const progress = progressOf(state.active);
      if (progress !== state.progress) {
        state.progress = progress;
        state.quietSweeps = 0;
      } else if (++state.quietSweeps * interval >= state.quietLimit + interval) {
        state.quietLimit = 0;
        this.#onIdle(state);
      }
    }
  };

  #onClose(state: ConnectionState): void {
    const socket = state.raw;
    clearTimeout(state.handshakeTimer);
    if (state.active !== socket) state.active.destroy();
    state.abortLazily(() => closedError(socket));
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
  return new TcpServer(handler, options, 'connection');
}

/**
 * Creates a {@link TcpServer} that calls `handler(socket, context)` for every accepted
 * socket: the lifecycle (limits counted from accept, `handshakeTimeout` until
 * `context.markEstablished()`, `idleTimeout` both ways, graceful `close()`, `stats()`)
 * for servers that speak their own protocol on the socket, such as TLS, ipc or bulk.
 */
export function createSocketServer(handler: SocketHandler, options?: TcpServerOptions): TcpServer {
  return new TcpServer(handler, options, 'socket');
}

/**
 * The default error report of every `@net` stream server (socketserver's handle_error):
 * one line on stderr with the package, the phase, the client and the error's code and
 * message, and the server goes on.
 */
export function reportError(name: string, error: unknown, context: ErrorContext): void {
  const peer =
    context.remoteAddress === undefined
      ? ''
      : ` (client ${context.remoteAddress}:${context.remotePort})`;
  const code = (error as { code?: unknown } | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  const what = typeof code === 'string' ? `${code}: ${text}` : text;
  // One line: a peer-chosen string must not start a new log line.
  console.error(`${name}: ${context.phase} error${peer}: ${what.replace(/[\r\n]+/g, ' ')}`);
}

/** Bytes read and written (or queued to write) on `socket` so far: its progress. */
function progressOf(socket: Socket): number {
  return socket.bytesRead + (socket.bytesWritten ?? 0);
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
