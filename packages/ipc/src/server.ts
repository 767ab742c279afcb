/**
 * `createIpcServer()`: the accepting side of `multiprocessing.connection` on the shared
 * connection lifecycle of `@net/tcp-server`: connections are counted against
 * `maxConnections` from accept, authenticate within `handshakeTimeout`, are closed after
 * `idleTimeout` without progress either way, and are drained by `close({ timeout })`.
 */
import type { Socket } from 'node:net';
import {
  checkCount,
  checkMs,
  checkOptionalFunction,
  InvalidArgumentError,
  NetError,
  withDefaults,
} from '@net/core';
import {
  HandshakeTimeoutError as AuthTimeoutError,
  HandshakeConnectionError,
  type SecretKey,
} from '@net/hmac-auth';
import {
  type ConnectionContext,
  createSocketServer,
  type ErrorContext,
  reportError,
  ServerClosingError,
  type TcpServer,
  type TcpServerStats,
} from '@net/tcp-server';
import { Connection, kCloseReason } from './connection.js';
import { authenticateAccepted, type HandshakeSettings } from './handshake.js';
import {
  type Endpoint,
  type EndpointOptions,
  IPC_DEFAULTS,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
  resolveEndpoint,
} from './options.js';

/** Defaults of the options a server adds to {@link EndpointOptions} (those are in `IPC_DEFAULTS`). */
export const IPC_SERVER_DEFAULTS = {
  /** Connections open at once, counted from accept (before authentication); `0` = no limit. */
  maxConnections: 0,
  /**
   * Ms without progress either way (nothing received, nothing we sent taken by the peer)
   * before a connection is closed: 1 hour. multiprocessing connections may legitimately
   * sit idle for long, so this is far above tcp-server's 5 minutes; a peer that stops
   * reading is still let go (and `sendTimeout` fails a send stuck on it sooner).
   */
  idleTimeout: 3_600_000,
  /** Ms from accept until the peer has authenticated (the lifecycle's first phase). */
  handshakeTimeout: IPC_DEFAULTS.handshakeTimeout,
  /** Default `timeout` of `close()`: ms connections get to finish before they are destroyed. */
  closeTimeout: 5_000,
  /** Kernel queue of connections not yet accepted. */
  backlog: IPC_DEFAULTS.backlog,
} as const satisfies Required<
  Pick<
    IpcServerOptions,
    'maxConnections' | 'idleTimeout' | 'handshakeTimeout' | 'closeTimeout' | 'backlog'
  >
>;

/** Where a server listens: a TCP address or a Unix socket path. */
export type IpcAddress =
  | {
      /** The bound IP address. */
      address: string;
      /** `'IPv4'` or `'IPv6'`. */
      family: string;
      /** The bound port. */
      port: number;
    }
  | {
      /** The Unix socket's path. */
      path: string;
    };

/** What a handler gets besides its {@link Connection}. */
export type IpcContext = Pick<
  ConnectionContext,
  'signal' | 'remoteAddress' | 'remotePort' | 'remoteFamily'
>;

/**
 * Serves one authenticated connection. When the returned promise settles the connection
 * is closed; a rejection is reported to `onError` (phase `'handler'`) unless it only says
 * the connection went away (`ERR_CONNECTION_CLOSED`, as when the peer closes between messages).
 */
export type IpcHandler = (conn: Connection, context: IpcContext) => unknown;

/** Options of {@link createIpcServer} (and of `listen()`). */
export interface IpcServerOptions extends EndpointOptions {
  /** The challenge we deliver: `'modern'` (Python 3.12+'s `{sha256}` form, default) or `'legacy'`. */
  protocol?: HandshakeSettings['protocol'] | undefined;
  /** Digest of a modern challenge. */
  digest?: HandshakeSettings['digest'] | undefined;
  /** Kernel backlog of TCP connections not yet taken in. */
  backlog?: number | undefined;
  /**
   * Most connections open at once, counted from accept (handshaking, served, and for
   * `listen()` authenticated but not yet accepted); `0` = no limit. Over it a new
   * connection is closed at once and counted in `stats().refused`.
   */
  maxConnections?: number | undefined;
  /** Ms without progress in either direction before a connection is closed; `0` = never. */
  idleTimeout?: number | undefined;
  /** Default `timeout` of `close()`, ms. */
  closeTimeout?: number | undefined;
  /**
   * Called with `@net/tcp-server`'s `ErrorContext` when a handler rejects (`'handler'`), a
   * peer fails or times out its authentication (`'handshake'`), or accepting fails
   * (`'accept'`). Default: one line on stderr, except handshake failures (the peers' doing,
   * only counted).
   */
  onError?: ((error: unknown, context: ErrorContext) => void) | undefined;
  /**
   * Called with the typed error (`ERR_AUTH_*`) of each peer that failed to authenticate
   * (wrong key, garbage, early close, or `ERR_AUTH_TIMEOUT` past `handshakeTimeout`), and
   * its address; that peer is disconnected and the server goes on. A throw is ignored.
   */
  onAuthFailure?:
    | ((error: NetError, remote: { address?: string; port?: number }) => void)
    | undefined;
}

/** Counters of an {@link IpcServer}: `@net/tcp-server`'s fields, plus authentication. */
export interface IpcServerStats extends TcpServerStats {
  /** Connections authenticating now. */
  handshaking: number;
  /** Connections that authenticated (or needed no authentication) and reached the handler. */
  authenticated: number;
  /**
   * Peers that failed to authenticate: wrong key, garbage, early close, or the deadline
   * (those are also in `timeouts`; the others in `handshakeFailures`).
   */
  authFailures: number;
}

/** Codes of errors that only say the connection went away: not a handler bug. */
const GONE = new Set(['ERR_CONNECTION_CLOSED', 'ERR_STREAM_EOF', 'ERR_STREAM_ERROR']);

/**
 * A multiprocessing.connection server: one {@link IpcHandler} call per authenticated
 * connection, on `@net/tcp-server`'s lifecycle. Create it with {@link createIpcServer}.
 */
export class IpcServer {
  readonly #tcp: TcpServer;
  readonly #handler: IpcHandler;
  readonly #endpoint: Endpoint;
  readonly #connection: ResolvedConnectionOptions;
  readonly #auth: HandshakeSettings;
  readonly #handshakeTimeout: number;
  readonly #onAuthFailure: IpcServerOptions['onAuthFailure'];
  #address: IpcAddress | undefined;
  #closing = false;
  #handshaking = 0;
  #authenticated = 0;
  #authFailures = 0;

  /** @internal use {@link createIpcServer}. */
  constructor(handler: IpcHandler, options: IpcServerOptions) {
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError('handler must be a function (conn, context) => Promise<void>');
    }
    this.#endpoint = resolveEndpoint(options);
    const resolved = withDefaults(IPC_SERVER_DEFAULTS, options);
    checkCount('maxConnections', resolved.maxConnections);
    checkMs('idleTimeout', resolved.idleTimeout);
    checkMs('handshakeTimeout', resolved.handshakeTimeout);
    checkMs('closeTimeout', resolved.closeTimeout);
    checkCount('backlog', resolved.backlog, 1);
    checkOptionalFunction('onError', resolved.onError);
    checkOptionalFunction('onAuthFailure', resolved.onAuthFailure);
    const protocol = resolved.protocol ?? IPC_DEFAULTS.protocol;
    if (protocol !== 'modern' && protocol !== 'legacy') {
      throw new InvalidArgumentError(`protocol must be 'modern' or 'legacy', got ${protocol}`);
    }
    this.#handler = handler;
    this.#connection = resolveConnectionOptions(options);
    this.#handshakeTimeout = resolved.handshakeTimeout;
    this.#onAuthFailure = resolved.onAuthFailure;
    // The lifecycle owns the deadline (handshakeTimeout, through the signal); the
    // handshake itself runs without a timer of its own.
    this.#auth = {
      timeout: 0,
      protocol,
      digest: resolved.digest,
      acceptDigests: resolved.acceptDigests,
    };
    const userOnError = resolved.onError;
    this.#tcp = createSocketServer(this.#serve, {
      maxConnections: resolved.maxConnections,
      idleTimeout: resolved.idleTimeout,
      handshakeTimeout: resolved.handshakeTimeout,
      closeTimeout: resolved.closeTimeout,
      backlog: resolved.backlog,
      writeHighWaterMark: this.#connection.writeHighWaterMark,
      onError: (error, context) => {
        if (userOnError === undefined) {
          // Failed handshakes are the peers' doing: counted, not printed (tcp-server's rule).
          if (context.phase !== 'handshake') reportError('@net/ipc', error, context);
          return;
        }
        try {
          userOnError(error, context);
        } catch (hookError) {
          reportError('@net/ipc', hookError, context);
        }
      },
    });
  }

  /** The bound address once `listen()` resolved (read `port` after `port: 0`), else `undefined`. */
  get address(): IpcAddress | undefined {
    return this.#address;
  }

  /** True while the server accepts connections. */
  get listening(): boolean {
    return this.#tcp.listening;
  }

  /**
   * Starts accepting on the options' `{ host, port }` or `{ path }` and resolves with the
   * bound address. Rejects with `ERR_LISTEN` (address in use, ...) or `ERR_SERVER_STATE`
   * (already listening, or closed).
   */
  async listen(): Promise<IpcAddress> {
    const { path, tcp } = this.#endpoint;
    const address =
      path !== undefined
        ? await this.#tcp.listen({ path })
        : await this.#tcp.listen({ host: tcp?.host, port: tcp?.port ?? 0 });
    this.#address = address;
    return address;
  }

  /** Counters since the server was created. */
  stats(): IpcServerStats {
    return {
      ...this.#tcp.stats(),
      handshaking: this.#handshaking,
      authenticated: this.#authenticated,
      authFailures: this.#authFailures,
    };
  }

  /**
   * Shuts down: stops accepting (a Unix socket file is removed), closes connections still
   * authenticating, aborts every handler's `context.signal` (`ERR_SERVER_CLOSING`), waits up
   * to `timeout` ms (default `closeTimeout`) for handlers to return and connections to
   * close, then destroys the rest. Calling it again returns the same promise.
   */
  close(options: { timeout?: number | undefined } = {}): Promise<void> {
    this.#closing = true;
    return this.#tcp.close(options.timeout === undefined ? {} : { timeout: options.timeout });
  }

  /** The lifecycle's socket handler: authenticate, mark established, run the handler. */
  readonly #serve = async (socket: Socket, context: ConnectionContext): Promise<void> => {
    const conn = new Connection(socket, this.#connection);
    const { signal } = context;
    // What the lifecycle ends the connection for (idle, deadline, shutdown) becomes the
    // `cause` of the calls that fail then.
    const onAbort = (): void => {
      const reason = signal.reason;
      if (reason instanceof NetError && reason.code !== 'ERR_CONNECTION_CLOSED') {
        conn[kCloseReason](reason);
      }
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const authkey = this.#endpoint.authkey;
    if (authkey !== undefined) await this.#authenticate(conn, authkey, context);
    context.markEstablished();
    this.#authenticated++;
    try {
      await this.#handler(conn, context);
    } catch (error) {
      // A peer that closes between messages ends the conversation (Python's EOFError).
      const gone =
        error instanceof NetError &&
        GONE.has(error.code) &&
        (socket.destroyed || socket.readableEnded || signal.aborted);
      if (!gone) throw error;
    } finally {
      // Flush what the handler sent, then close (a destroyed one keeps its close reason).
      if (!socket.destroyed) conn.close();
    }
  };

  async #authenticate(conn: Connection, authkey: SecretKey, context: ConnectionContext) {
    this.#handshaking++;
    try {
      await authenticateAccepted(conn, authkey, { ...this.#auth, signal: context.signal });
    } catch (error) {
      conn.destroy();
      throw this.#authFailed(error, context);
    } finally {
      this.#handshaking--;
    }
  }

  /** Counts and reports a failed handshake; returns what the lifecycle should see. */
  #authFailed(error: unknown, context: ConnectionContext): unknown {
    const reason: unknown = context.signal.aborted ? context.signal.reason : undefined;
    if (this.#closing) return reason ?? new ServerClosingError(); // cut short by close()
    this.#authFailures++;
    const why = reason instanceof NetError ? reason.code : undefined;
    const timedOut = why === 'ERR_HANDSHAKE_TIMEOUT';
    const code = error instanceof NetError ? error.code : undefined;
    // The lifecycle's signal cut the handshake: say what happened to the peer, not "aborted".
    const authError = timedOut
      ? new AuthTimeoutError(this.#handshakeTimeout, 'authenticating the peer')
      : why === 'ERR_CONNECTION_CLOSED' && (code === 'ERR_ABORTED' || code === 'ERR_AUTH_ABORTED')
        ? new HandshakeConnectionError('authenticating the peer', reason)
        : (error as NetError);
    try {
      this.#onAuthFailure?.(authError, {
        address: context.remoteAddress,
        port: context.remotePort,
      });
    } catch {
      // a throwing hook must not break the server
    }
    // The lifecycle already counted (and reported) a missed deadline as such.
    return timedOut ? reason : authError;
  }
}

/**
 * Creates a multiprocessing.connection server (Python's `Listener`, as a handler per
 * connection): every accepted peer authenticates with `authkey` within
 * `handshakeTimeout` (Python 3.11 and 3.12+ handshakes), then `handler(conn, context)`
 * serves it. Built on `@net/tcp-server`'s lifecycle: `maxConnections` counted from accept,
 * `idleTimeout` both ways, graceful `close({ timeout })`, `stats()`, `onError`. Call
 * `listen()` to start. Throws `ERR_AUTHKEY_REQUIRED` (TCP without `authkey`) or
 * `ERR_INVALID_ARGUMENT`.
 */
export function createIpcServer(handler: IpcHandler, options: IpcServerOptions): IpcServer {
  return new IpcServer(handler, options);
}
