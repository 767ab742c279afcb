/**
 * The server: `createTlsServer` runs TLS on the shared connection lifecycle of
 * `@net/tcp-server` (limits counted from accept, the handshake as the first phase with its
 * deadline, idle timeouts both ways, graceful close, the shared statistics), with secure
 * defaults, mutual TLS, SNI for several names and certificate reload without restart.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type TLSSocketOptions } from 'node:tls';
import {
  checkBoolean,
  checkCount,
  checkMs,
  checkOptionalFunction,
  InvalidArgumentError,
  withDefaults,
} from '@net/core';
import type { StreamReaderOptions } from '@net/stream-reader';
import {
  type CloseOptions,
  type Connection,
  type ConnectionContext,
  createSocketServer,
  type ErrorContext,
  type ErrorPhase,
  type RemoteInfo,
  reportError,
  type TcpAddress,
  type TcpServerStats,
} from '@net/tcp-server';
import { type PeerIdentity, peerIdentity } from './identity.js';
import {
  checkVersion,
  MAX_SESSION_TIMEOUT,
  SERVER_DEFAULTS,
  type ServerDefaults,
  type TlsVersion,
} from './options.js';
import { CertificateStore, type ServerCertificate } from './server-certificates.js';
import { serverHandshake } from './server-handshake.js';

export type { ServerCertificate } from './server-certificates.js';

/**
 * PEM text or bytes. Not exported: the reference shows the union in place.
 *
 * @inline
 */
type Pem = string | Buffer;

/**
 * Where an error reported to `onError` happened: the phases of every `@net` server, plus
 * `'reload'` for a certificate change picked up by `watch` that failed to load (the server
 * keeps the certificate it had).
 */
export type TlsErrorPhase = ErrorPhase | 'reload';

/** What `onError` is told besides the error: `@net/tcp-server`'s `ErrorContext`, with {@link TlsErrorPhase}. */
export interface TlsErrorContext extends Omit<ErrorContext, 'phase'> {
  /** Where it happened. */
  phase: TlsErrorPhase;
}

/** Options of {@link createTlsServer}; the defaults are in {@link SERVER_DEFAULTS}. */
export interface TlsServerOptions {
  /** The server certificate (PEM, with intermediates). Or use `certFile`/`keyFile`. */
  cert?: Pem | undefined;
  /** The private key of `cert` (PEM). */
  key?: Pem | undefined;
  /** Passphrase of an encrypted `key`. */
  passphrase?: string | undefined;
  /** Read the certificate from this file instead (re-read by `reload()` and `watch`). */
  certFile?: string | undefined;
  /** Read the key from this file instead (re-read by `reload()` and `watch`). */
  keyFile?: string | undefined;
  /** Re-read `certFile`/`keyFile` when they change (polling every `watchInterval` ms). */
  watch?: boolean | undefined;
  /** Polling interval of `watch`, in ms. */
  watchInterval?: number | undefined;
  /**
   * CA certificate(s) for mutual TLS: clients must present a certificate signed by one of
   * them, or the handshake fails. Without it, client certificates are not requested.
   */
  clientCa?: Pem | Pem[] | undefined;
  /** Certificates for other names (SNI): servername (or `*.example.com`) → certificate. */
  sni?: Record<string, ServerCertificate> | undefined;
  /** ALPN protocols the server accepts, most preferred first. */
  alpnProtocols?: string[] | undefined;
  /** Lowest TLS version accepted. */
  minVersion?: TlsVersion | undefined;
  /** Highest TLS version accepted. Default: the newest Node supports. */
  maxVersion?: TlsVersion | undefined;
  /** OpenSSL cipher list, if the defaults do not suit. */
  ciphers?: string | undefined;
  /**
   * Ms from accept until the TLS handshake is done (the lifecycle's first phase); past it
   * the connection is closed, counted in `stats().timeouts`, and reported to `onError`
   * (phase `'handshake'`) as `ERR_HANDSHAKE_TIMEOUT`. 0 = no deadline (not recommended).
   */
  handshakeTimeout?: number | undefined;
  /** Lifetime of resumable sessions (tickets), in seconds. */
  sessionTimeout?: number | undefined;
  /** Default `timeout` of `close()`, in ms. */
  closeTimeout?: number | undefined;
  /**
   * Most connections open at once, counted from accept (before the handshake); 0 = no
   * limit. Over it a new connection is closed at once and counted in `stats().refused`.
   */
  maxConnections?: number | undefined;
  /** Close a connection after this many ms without progress either way; 0 = never. */
  idleTimeout?: number | undefined;
  /** After the handler returns, ms to wait for the client to close its side. */
  endTimeout?: number | undefined;
  /** Kernel queue of not-yet-accepted connections. */
  backlog?: number | undefined;
  /** Disable Nagle's algorithm on every connection. */
  noDelay?: boolean | undefined;
  /** TCP keep-alive probe delay in ms; 0 = off. */
  keepAlive?: number | undefined;
  /** `conn.write()` waits for `'drain'` once this many bytes are queued. */
  writeHighWaterMark?: number | undefined;
  /** Options of each connection's StreamReader (`readExactly`, `readLine`, ...). */
  reader?: StreamReaderOptions | undefined;
  /**
   * Decides whether to serve a client before its handshake starts (by address); return
   * or resolve `false` to refuse (closed, counted in `stats().refused`).
   */
  verify?: ((remote: RemoteInfo) => boolean | Promise<boolean>) | undefined;
  /**
   * Called with each failed handshake (typed: `ERR_HANDSHAKE_TIMEOUT`,
   * `ERR_TLS_CLIENT_CERT_REQUIRED`, ...; phase `'handshake'`), each error a handler
   * throws (`'handler'`), `verify` and accept failures, and each failed `watch` reload
   * (`'reload'`). The server keeps serving the other clients. Default: one line on
   * stderr, except for failed handshakes (the clients' doing), which are only counted.
   */
  onError?: ((error: unknown, context: TlsErrorContext) => void) | undefined;
}

/**
 * A connection of a {@link TlsServer}: `@net/tcp-server`'s `Connection` (`readExactly`,
 * `readLine`, iteration, `write()` with backpressure, `signal`) over the `TLSSocket`.
 */
export type TlsConnection = Connection & {
  /** The connection's `TLSSocket` (for `getPeerCertificate()`, `alpnProtocol`, ...). */
  readonly socket: TLSSocket;
};

/**
 * Handler of each connection whose handshake finished: `peer` is the verified client with
 * `clientCa`, else `null`. When its promise settles the connection ends (resolved: our side
 * is ended gracefully; rejected: reported and destroyed), so keep it pending while serving.
 */
export type TlsConnectionHandler = (conn: TlsConnection, peer: PeerIdentity | null) => unknown;

/** Counters of a {@link TlsServer}: the shared fields of every `@net` server, plus TLS ones. */
export interface TlsServerStats extends TcpServerStats {
  /** Handshakes that succeeded. */
  handshakes: number;
  /** Of those, how many resumed a session (ticket). */
  resumed: number;
  /** Certificate changes through `setCertificate()` / `reload()` / `watch`. */
  reloads: number;
}

/** Options of {@link TlsServer.listen}. */
export interface TlsListenOptions {
  /** Address to bind. Default: every interface. */
  host?: string;
  /** Port; 0 (the default) lets the system pick one. */
  port?: number;
  /** With `host: '::'`, accept IPv6 only. Default false (dual stack). */
  ipv6Only?: boolean;
}

/** A TLS server made by {@link createTlsServer}. */
export interface TlsServer {
  /**
   * Starts listening; resolves with the bound address. Rejects with `ERR_LISTEN` (address
   * in use, ...), or `ERR_SERVER_STATE` if already listening or closed.
   */
  listen(options?: TlsListenOptions): Promise<TcpAddress>;
  /**
   * Stops accepting, destroys connections still in their handshake, aborts the others'
   * `conn.signal` (`ERR_SERVER_CLOSING`), waits up to `timeout` ms (default `closeTimeout`)
   * for handlers to return and sockets to close, then destroys the rest.
   */
  close(options?: CloseOptions): Promise<void>;
  /**
   * Replaces the certificate (and optionally the SNI certificates): new handshakes use it,
   * live connections are untouched, session tickets stay valid. Throws
   * `ERR_TLS_BAD_CERTIFICATE` (and keeps the old one) if the pair cannot be loaded.
   */
  setCertificate(
    certificate: ServerCertificate & { sni?: Record<string, ServerCertificate> },
  ): void;
  /** Re-reads `certFile` and `keyFile` and applies them like `setCertificate()`. */
  reload(): Promise<void>;
  /** The counters. */
  stats(): TlsServerStats;
  /** The bound address while listening, else `null`. */
  address(): TcpAddress | null;
  /**
   * Serves a TCP socket accepted elsewhere (a worker handed it over, a STARTTLS upgrade):
   * it gets the same handshake, limits, deadlines, statistics and shutdown.
   */
  handleConnection(socket: Socket): void;
}

/**
 * Creates a TLS server that calls `handler(conn, peer)` for each connection whose handshake
 * finished (and, with `clientCa`, whose client certificate verified). Secure defaults: TLS
 * 1.2 minimum, a 10 s handshake deadline counted from accept, session tickets on. One
 * client's failure never affects the others.
 */
export function createTlsServer(
  handler: TlsConnectionHandler,
  options: TlsServerOptions,
): TlsServer {
  if (typeof handler !== 'function') {
    throw new InvalidArgumentError(
      'createTlsServer(handler, options) needs a handler function (conn, peer) => Promise<void>',
    );
  }
  const opts = withDefaults(SERVER_DEFAULTS as ServerDefaults, options, 'createTlsServer options');
  checkBoolean('watch', opts.watch);
  checkMs('watchInterval', opts.watchInterval);
  if (opts.watchInterval === 0) throw new InvalidArgumentError('watchInterval must be >= 1 ms');
  checkVersion('minVersion', opts.minVersion);
  checkVersion('maxVersion', opts.maxVersion);
  checkMs('handshakeTimeout', opts.handshakeTimeout);
  checkCount('sessionTimeout', opts.sessionTimeout, 1);
  if (opts.sessionTimeout > MAX_SESSION_TIMEOUT) {
    throw new InvalidArgumentError(
      `sessionTimeout is in seconds and at most ${MAX_SESSION_TIMEOUT}, got ${opts.sessionTimeout}`,
    );
  }
  checkOptionalFunction('onError', opts.onError);

  const mutual = opts.clientCa !== undefined;
  const certificates = new CertificateStore({
    cert: opts.cert,
    key: opts.key,
    passphrase: opts.passphrase,
    certFile: opts.certFile,
    keyFile: opts.keyFile,
    sni: opts.sni,
    base: definedOnly({
      ca: opts.clientCa,
      minVersion: opts.minVersion,
      maxVersion: opts.maxVersion,
      ciphers: opts.ciphers,
      sessionTimeout: opts.sessionTimeout,
      honorCipherOrder: true, // as tls.Server
    }),
  });
  const alpn = opts.alpnProtocols === undefined ? undefined : alpnWireFormat(opts.alpnProtocols);
  const socketOptions = (): TLSSocketOptions =>
    definedOnly({
      isServer: true,
      secureContext: certificates.context,
      requestCert: mutual,
      rejectUnauthorized: mutual,
      ALPNProtocols: alpn,
      SNICallback: certificates.hasSni ? certificates.sniCallback : undefined,
    });
  let tlsOptions = socketOptions();

  const counters = { handshakes: 0, resumed: 0, reloads: 0 };
  const report = (error: unknown, context: TlsErrorContext): void => {
    const { onError } = opts;
    try {
      if (onError !== undefined) onError(error, context);
      // Failed handshakes are the clients' doing: only reported to a hook the user set.
      else if (context.phase !== 'handshake') {
        reportError('@net/tls', error, context as ErrorContext);
      }
    } catch (hookError) {
      reportError('@net/tls', hookError, context as ErrorContext);
    }
  };

  const serve = async (raw: Socket, context: ConnectionContext): Promise<unknown> => {
    const socket = new TLSSocket(raw, tlsOptions);
    context.useSocket(socket);
    await serverHandshake(socket, context, mutual);
    context.markEstablished();
    counters.handshakes++;
    if (socket.isSessionReused()) counters.resumed++;
    const conn = context.connection() as TlsConnection;
    return handler(conn, mutual ? peerIdentity(socket) : null);
  };

  const lifecycle = createSocketServer(serve, {
    maxConnections: opts.maxConnections,
    idleTimeout: opts.idleTimeout,
    handshakeTimeout: opts.handshakeTimeout,
    noDelay: opts.noDelay,
    keepAlive: opts.keepAlive,
    backlog: opts.backlog,
    writeHighWaterMark: opts.writeHighWaterMark,
    endTimeout: opts.endTimeout,
    closeTimeout: opts.closeTimeout,
    reader: opts.reader,
    verify: opts.verify,
    onError: report,
  });

  const apply = (next: ServerCertificate, sni?: Record<string, ServerCertificate>): void => {
    certificates.apply(next, sni);
    tlsOptions = socketOptions();
    counters.reloads++;
  };
  const reload = async (): Promise<void> => {
    await certificates.reload();
    tlsOptions = socketOptions();
    counters.reloads++;
  };

  let bound: TcpAddress | null = null;
  return {
    async listen(listenOptions: TlsListenOptions = {}) {
      const { host, port = 0, ipv6Only = false } = listenOptions;
      bound = await lifecycle.listen(
        host === undefined ? { port, ipv6Only } : { host, port, ipv6Only },
      );
      if (opts.watch) {
        certificates.watch(opts.watchInterval, () => {
          reload().catch((error) => report(error, { phase: 'reload' }));
        });
      }
      return bound;
    },
    close(closeOptions?: CloseOptions) {
      certificates.unwatch();
      bound = null;
      return lifecycle.close(closeOptions);
    },
    setCertificate(next) {
      apply({ cert: next.cert, key: next.key, passphrase: next.passphrase }, next.sni);
    },
    reload,
    stats: () => ({ ...lifecycle.stats(), ...counters }),
    address: () => bound,
    handleConnection: (socket) => lifecycle.handleConnection(socket),
  };
}

/** A copy of `options` without its `undefined` fields (Node's TLS options treat some as set). */
function definedOnly<T extends object>(options: T): T {
  const copy = { ...options };
  for (const key of Object.keys(copy) as Array<keyof T>) {
    if (copy[key] === undefined) delete copy[key];
  }
  return copy;
}

/**
 * ALPN protocol names in their wire format (each prefixed by its length), built once
 * rather than by every connection's TLSSocket.
 */
function alpnWireFormat(protocols: readonly string[]): Buffer {
  if (!Array.isArray(protocols) || protocols.length === 0) {
    throw new InvalidArgumentError('alpnProtocols must be a non-empty array of protocol names');
  }
  return Buffer.concat(
    protocols.map((protocol) => {
      const name = typeof protocol === 'string' ? Buffer.from(protocol, 'utf8') : undefined;
      if (name === undefined || name.byteLength === 0 || name.byteLength > 255) {
        throw new InvalidArgumentError(
          `alpnProtocols entries must be names of 1 to 255 bytes, got ${JSON.stringify(protocol)}`,
        );
      }
      return Buffer.concat([Buffer.from([name.byteLength]), name]);
    }),
  );
}
