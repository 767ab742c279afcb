/**
 * The server: `createTlsServer` wraps `tls.Server` with secure defaults, mutual TLS,
 * SNI for several names, certificate reload without restart, typed handshake errors,
 * graceful close and statistics.
 */
import { readFileSync, type StatWatcher, unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import {
  createSecureContext,
  type SecureContext,
  type SecureContextOptions,
  Server,
  type TLSSocket,
  type TlsOptions,
} from 'node:tls';
import { toServerError } from './error-mapping.js';
import {
  CertificateLoadError,
  InvalidArgumentError,
  ListenError,
  ServerStateError,
} from './errors.js';
import { type PeerIdentity, peerIdentity } from './identity.js';
import { checkPositive, checkVersion, SERVER_DEFAULTS, type TlsVersion } from './options.js';

type Pem = string | Buffer;

/** A certificate (chain) and its key, PEM. */
export interface ServerCertificate {
  /** Certificate, followed by any intermediate certificates (PEM). */
  cert: Pem;
  /** Its private key (PEM). */
  key: Pem;
  /** Passphrase of an encrypted key. */
  passphrase?: string;
}

/** Options of {@link createTlsServer}. */
export interface TlsServerOptions {
  /** The server certificate (PEM, with intermediates). Or use `certFile`/`keyFile`. */
  cert?: Pem;
  /** The private key of `cert` (PEM). */
  key?: Pem;
  /** Passphrase of an encrypted `key`. */
  passphrase?: string;
  /** Read the certificate from this file instead (re-read by `reload()` and `watch`). */
  certFile?: string;
  /** Read the key from this file instead (re-read by `reload()` and `watch`). */
  keyFile?: string;
  /** Re-read `certFile`/`keyFile` when they change (polling every `watchInterval` ms). Default false. */
  watch?: boolean;
  /** Polling interval of `watch`, in ms. Default 1000. */
  watchInterval?: number;
  /**
   * CA certificate(s) for mutual TLS: clients must present a certificate signed by one of
   * them, or the handshake fails. Without it, client certificates are not requested.
   */
  clientCa?: Pem | Pem[];
  /** Certificates for other names (SNI): servername (or `*.example.com`) → certificate. */
  sni?: Record<string, ServerCertificate>;
  /** ALPN protocols the server accepts, most preferred first. */
  alpnProtocols?: string[];
  /** Lowest TLS version accepted. Default `'TLSv1.2'`. */
  minVersion?: TlsVersion;
  /** Highest TLS version accepted. Default: the newest Node supports. */
  maxVersion?: TlsVersion;
  /** OpenSSL cipher list, if the defaults do not suit. */
  ciphers?: string;
  /** Milliseconds a client has to finish the handshake. Default 10 000. */
  handshakeTimeout?: number;
  /** Lifetime of resumable sessions (tickets), in seconds. Default 300. */
  sessionTimeout?: number;
  /** Default `timeout` of `close()`, in ms. Default 5000. */
  closeTimeout?: number;
  /**
   * Called with each failed handshake (typed: `ERR_TLS_HANDSHAKE_TIMEOUT`,
   * `ERR_TLS_CLIENT_CERT_REQUIRED`, ...), each error a handler throws, and each failed
   * certificate reload. The server keeps serving the other clients.
   */
  onError?: (error: unknown, info: { remoteAddress?: string; remotePort?: number }) => void;
}

/** Handler of each verified connection. `peer` is the verified client with `clientCa`, else `null`. */
export type TlsConnectionHandler = (socket: TLSSocket, peer: PeerIdentity | null) => unknown;

/** Counters of a {@link TlsServer}, for dashboards. */
export interface TlsServerStats {
  /** Handshakes that succeeded. */
  handshakes: number;
  /** Of those, how many resumed a session. */
  resumed: number;
  /** Handshakes that failed (including timeouts and refused client certificates). */
  handshakeFailures: number;
  /** Open connections that finished their handshake. */
  active: number;
  /** Errors thrown by the handler. */
  handlerErrors: number;
  /** Certificate changes through `setCertificate()` / `reload()` / `watch`. */
  reloads: number;
}

/** Options of {@link TlsServer.listen}. */
export interface TlsListenOptions {
  /** Address to bind. Default: all interfaces. */
  host?: string;
  /** Port; 0 (the default) lets the system pick one. */
  port?: number;
  /** Backlog of pending connections. */
  backlog?: number;
}

/** A TLS server made by {@link createTlsServer}. */
export interface TlsServer {
  /** Starts listening; resolves with the bound address. */
  listen(options?: TlsListenOptions): Promise<AddressInfo>;
  /**
   * Stops accepting, destroys connections still in their handshake, and waits up to
   * `timeout` ms for open connections to end before destroying them.
   */
  close(options?: { timeout?: number }): Promise<void>;
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
  /** The bound address, or `null` before `listen()`. */
  address(): AddressInfo | null;
  /** The underlying `tls.Server`, for what this wrapper does not cover. */
  readonly server: Server;
}

/**
 * Creates a TLS server that calls `handler` for each connection that finished its
 * handshake (and, with `clientCa`, presented a valid client certificate). Secure defaults:
 * TLS 1.2 minimum, handshake timeout, session tickets on. One client's failure never
 * affects the others; every socket has an `'error'` listener.
 */
export function createTlsServer(
  options: TlsServerOptions,
  handler: TlsConnectionHandler,
): TlsServer {
  if (typeof handler !== 'function')
    throw new InvalidArgumentError('createTlsServer needs a handler function');
  const opts = { ...SERVER_DEFAULTS, ...options };
  checkPositive('handshakeTimeout', opts.handshakeTimeout);
  checkPositive('sessionTimeout', opts.sessionTimeout);
  checkPositive('closeTimeout', opts.closeTimeout);
  checkPositive('watchInterval', opts.watchInterval);
  checkVersion('minVersion', opts.minVersion);
  checkVersion('maxVersion', opts.maxVersion);
  const certificate = initialCertificate(opts);
  const mutual = opts.clientCa !== undefined;
  const base: SecureContextOptions = {
    ca: opts.clientCa,
    minVersion: opts.minVersion,
    maxVersion: opts.maxVersion,
    ciphers: opts.ciphers,
    sessionTimeout: opts.sessionTimeout,
  };
  for (const key of Object.keys(base) as Array<keyof SecureContextOptions>) {
    if (base[key] === undefined) delete base[key];
  }
  let sniContexts = buildSni(base, opts.sni);
  checkPair(base, certificate, 'the server certificate');

  const tlsOptions: TlsOptions = {
    ...base,
    ...certificate,
    requestCert: mutual,
    rejectUnauthorized: mutual,
    handshakeTimeout: opts.handshakeTimeout,
    ALPNProtocols: opts.alpnProtocols,
  };
  if (opts.sni !== undefined) {
    tlsOptions.SNICallback = (servername, cb) => cb(null, lookupSni(sniContexts, servername));
  }
  if (tlsOptions.ALPNProtocols === undefined) delete tlsOptions.ALPNProtocols;

  const stats: TlsServerStats = {
    handshakes: 0,
    resumed: 0,
    handshakeFailures: 0,
    active: 0,
    handlerErrors: 0,
    reloads: 0,
  };
  const sockets = new Set<Socket>();
  // Raw sockets whose handshake finished (TLSSocket._parent is the raw socket it wraps).
  const secureRaw = new WeakSet<Socket>();
  const server = new Server(tlsOptions);
  let state: 'new' | 'listening' | 'closing' | 'closed' = 'new';
  let closing: Promise<void> | undefined;
  const report = (error: unknown, socket?: Socket) => {
    try {
      opts.onError?.(error, {
        remoteAddress: socket?.remoteAddress,
        remotePort: socket?.remotePort,
      });
    } catch {
      // a throwing onError must not take the server down
    }
  };

  server.on('connection', (raw: Socket) => {
    sockets.add(raw);
    raw.on('error', () => undefined); // reported through tlsClientError / the TLS socket
    raw.once('close', () => sockets.delete(raw));
  });
  server.on('tlsClientError', (error, socket) => {
    stats.handshakeFailures++;
    socket.destroy(); // Node leaves a timed-out handshake's socket open
    report(toServerError(error, socket, { handshakeTimeout: opts.handshakeTimeout }), socket);
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    stats.handshakes++;
    if (socket.isSessionReused()) stats.resumed++;
    stats.active++;
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    if (raw) secureRaw.add(raw);
    socket.on('error', () => undefined); // handlers add their own; a reset must not crash us
    socket.once('close', () => stats.active--);
    const fail = (error: unknown) => {
      stats.handlerErrors++;
      report(error, socket);
      socket.destroy();
    };
    try {
      const result = handler(socket, mutual ? peerIdentity(socket) : null);
      if (result instanceof Promise) result.catch(fail);
    } catch (error) {
      fail(error);
    }
  });

  const apply = (next: ServerCertificate, sni?: Record<string, ServerCertificate>) => {
    checkPair(base, next, 'the new server certificate');
    const nextSni = sni === undefined ? sniContexts : buildSni(base, sni);
    // Keep the ticket keys, so that sessions issued before the reload still resume.
    server.setSecureContext({ ...base, ...next, ticketKeys: server.getTicketKeys() });
    sniContexts = nextSni;
    stats.reloads++;
  };

  const reload = async () => {
    if (opts.certFile === undefined || opts.keyFile === undefined) {
      throw new InvalidArgumentError(
        'reload() needs the certFile and keyFile options; use setCertificate() otherwise',
      );
    }
    let cert: string;
    let key: string;
    try {
      [cert, key] = await Promise.all([
        readFile(opts.certFile, 'utf8'),
        readFile(opts.keyFile, 'utf8'),
      ]);
    } catch (error) {
      throw new CertificateLoadError(`${opts.certFile} and ${opts.keyFile}`, { cause: error });
    }
    apply({ cert, key, passphrase: opts.passphrase });
  };

  let watchers: Array<{ file: string; listener: (curr: unknown, prev: unknown) => void }> = [];
  const startWatching = () => {
    if (!opts.watch || opts.certFile === undefined || opts.keyFile === undefined) return;
    let pending: NodeJS.Timeout | undefined;
    const listener = () => {
      // cert and key are usually replaced one after the other: wait for both.
      clearTimeout(pending);
      pending = setTimeout(() => {
        reload().catch((error) => report(error));
      }, 50);
    };
    watchers = [opts.certFile, opts.keyFile].map((file) => {
      watchFile(file, { interval: opts.watchInterval, persistent: false }, listener) as StatWatcher;
      return { file, listener };
    });
  };
  const stopWatching = () => {
    for (const { file, listener } of watchers) unwatchFile(file, listener);
    watchers = [];
  };

  return {
    server,
    listen(listenOptions: TlsListenOptions = {}) {
      if (state !== 'new') {
        return Promise.reject(
          new ServerStateError(
            `listen() was called on a server that is ${state}; create a new server`,
          ),
        );
      }
      state = 'listening';
      return new Promise<AddressInfo>((resolve, reject) => {
        const onError = (error: Error) => {
          state = 'closed';
          reject(new ListenError(error));
        };
        server.once('error', onError);
        server.listen(
          {
            host: listenOptions.host,
            port: listenOptions.port ?? 0,
            backlog: listenOptions.backlog,
          },
          () => {
            server.off('error', onError);
            server.on('error', (error) => report(error));
            startWatching();
            resolve(server.address() as AddressInfo);
          },
        );
      });
    },
    close(closeOptions = {}) {
      if (closing) return closing;
      const timeout = closeOptions.timeout ?? opts.closeTimeout;
      stopWatching();
      if (state !== 'listening') {
        state = 'closed';
        closing = Promise.resolve();
        return closing;
      }
      state = 'closing';
      closing = new Promise<void>((resolve) => {
        server.close(() => {
          clearTimeout(timer);
          state = 'closed';
          resolve();
        });
        for (const raw of sockets) {
          // connections still in their handshake have no handler to finish: drop them
          if (!secureRaw.has(raw)) raw.destroy();
        }
        const timer = setTimeout(() => {
          for (const raw of sockets) raw.destroy();
        }, timeout);
      });
      return closing;
    },
    setCertificate(next) {
      apply({ cert: next.cert, key: next.key, passphrase: next.passphrase }, next.sni);
    },
    reload,
    stats: () => ({ ...stats }),
    address: () => (server.address() as AddressInfo | null) ?? null,
  };
}

function initialCertificate(opts: TlsServerOptions): ServerCertificate {
  if (opts.cert !== undefined && opts.key !== undefined) {
    return { cert: opts.cert, key: opts.key, passphrase: opts.passphrase };
  }
  if (opts.certFile !== undefined && opts.keyFile !== undefined) {
    try {
      return {
        cert: readFileSync(opts.certFile),
        key: readFileSync(opts.keyFile),
        passphrase: opts.passphrase,
      };
    } catch (error) {
      throw new CertificateLoadError(`${opts.certFile} and ${opts.keyFile}`, { cause: error });
    }
  }
  throw new InvalidArgumentError(
    'createTlsServer needs `cert` and `key` (PEM), or `certFile` and `keyFile`',
  );
}

function checkPair(
  base: SecureContextOptions,
  pair: ServerCertificate,
  what: string,
): SecureContext {
  try {
    return createSecureContext({ ...base, ...pair });
  } catch (error) {
    throw new CertificateLoadError(what, {
      cause: error,
      opensslCode: (error as NodeJS.ErrnoException).code,
    });
  }
}

function buildSni(
  base: SecureContextOptions,
  sni: Record<string, ServerCertificate> | undefined,
): Map<string, SecureContext> {
  const contexts = new Map<string, SecureContext>();
  for (const [name, pair] of Object.entries(sni ?? {})) {
    contexts.set(name.toLowerCase(), checkPair(base, pair, `the SNI certificate for ${name}`));
  }
  return contexts;
}

/** Exact name first, then a wildcard for its parent domain (`*.example.com`). */
function lookupSni(
  contexts: Map<string, SecureContext>,
  servername: string,
): SecureContext | undefined {
  const name = servername.toLowerCase();
  const exact = contexts.get(name);
  if (exact !== undefined) return exact;
  const dot = name.indexOf('.');
  return dot > 0 ? contexts.get(`*${name.slice(dot)}`) : undefined;
}
