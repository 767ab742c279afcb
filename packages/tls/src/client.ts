/**
 * The client: `connectTls` opens a verified TLS connection, `wrapSocket` upgrades a plain
 * socket already connected (STARTTLS). Verification is always on unless switched off
 * explicitly (and loudly); sessions are resumed through a {@link TlsSessionCache}.
 */
import { createHash } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import { type ConnectionOptions, checkServerIdentity, connect, type TLSSocket } from 'node:tls';
import { toTlsError } from './error-mapping.js';
import {
  ConnectAbortedError,
  ConnectError,
  HandshakeTimeoutError,
  InvalidArgumentError,
  PinMismatchError,
} from './errors.js';
import {
  certificateFingerprint,
  matchesPin,
  type Pin,
  parsePins,
  spkiFingerprint,
} from './identity.js';
import { CLIENT_DEFAULTS, checkPositive, checkVersion, type TlsVersion } from './options.js';
import { defaultSessionCache, type TlsSessionCache } from './session-cache.js';

type Pem = string | Buffer | Array<string | Buffer>;

/** Options shared by {@link connectTls} and {@link wrapSocket}. */
export interface TlsClientOptions {
  /**
   * The name the server's certificate must cover (DNS name or IP address); also sent as
   * SNI when it is a DNS name. Default: `host` (for `wrapSocket`: the socket's remote address).
   */
  servername?: string;
  /** CA certificate(s) to trust (PEM). Default: Node's bundled public CAs. */
  ca?: Pem;
  /** Client certificate (PEM) for mutual TLS, with `key`. */
  cert?: string | Buffer;
  /** Private key of `cert` (PEM). */
  key?: string | Buffer;
  /** Passphrase of an encrypted `key`. */
  passphrase?: string;
  /**
   * Pinned server identities: SHA-256 fingerprints of the leaf certificate (hex, colons
   * optional) and/or of its public key as `sha256//<base64>`. The connection fails with
   * `ERR_TLS_PIN_MISMATCH` unless the server's certificate matches one. Checked in
   * addition to CA verification.
   */
  pin?: string | string[];
  /** ALPN protocols to offer, most preferred first (e.g. `['h2', 'http/1.1']`). */
  alpnProtocols?: string[];
  /** Lowest TLS version accepted. Default `'TLSv1.2'`. */
  minVersion?: TlsVersion;
  /** Highest TLS version offered. Default: the newest Node supports. */
  maxVersion?: TlsVersion;
  /** OpenSSL cipher list, if the defaults do not suit. */
  ciphers?: string;
  /** Milliseconds for the TCP connection and the TLS handshake together. Default 10 000. */
  handshakeTimeout?: number;
  /** Resume TLS sessions with servers seen before. Default `true`. */
  session?: boolean;
  /** Where sessions are kept. Default: {@link defaultSessionCache}, shared by the process. */
  sessionCache?: TlsSessionCache;
  /** Cancels the attempt. */
  signal?: AbortSignal;
  /**
   * DANGER: accept any certificate for any name. Only for debugging; it emits a
   * `process` warning (`NET_TLS_INSECURE`) on every call. `pin` is still checked, so
   * `insecureSkipVerify` with `pin` trusts exactly one self-signed server.
   */
  insecureSkipVerify?: boolean;
}

/** Options of {@link connectTls}. */
export interface ConnectTlsOptions extends TlsClientOptions {
  /** Host name or IP address to connect to. Default `'localhost'`. */
  host?: string;
  /** TCP port. */
  port: number;
}

/** Options of {@link wrapSocket}. */
export type WrapSocketOptions = TlsClientOptions;

/**
 * Connects to a TLS server and resolves with the socket once the handshake has finished
 * and the server's certificate is verified against `ca` for `servername` (and `pin`).
 * Failures reject with typed errors: `ERR_TLS_UNTRUSTED_CERT`, `ERR_TLS_HOSTNAME_MISMATCH`,
 * `ERR_TLS_CERT_EXPIRED`, `ERR_TLS_PIN_MISMATCH`, `ERR_TLS_HANDSHAKE_TIMEOUT`,
 * `ERR_TLS_CONNECT`, ... The socket keeps a no-op `'error'` listener so that a reset never
 * crashes the process: add your own to see errors ({@link toTlsError} types them).
 */
export function connectTls(options: ConnectTlsOptions): Promise<TLSSocket> {
  const host = options.host ?? CLIENT_DEFAULTS.host;
  const port = options.port;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    return Promise.reject(
      new InvalidArgumentError(`\`port\` must be an integer 1-65535, got ${String(port)}`),
    );
  }
  return establish(options, { host, port }, `${host}:${port}`, host);
}

/**
 * Upgrades a connected plain socket to TLS (STARTTLS): the client side of the handshake
 * runs over `plainSocket`, with the same verification, pinning and timeouts as
 * {@link connectTls}. Do not read from `plainSocket` afterwards; use the returned socket.
 */
export function wrapSocket(
  plainSocket: Socket,
  options: WrapSocketOptions = {},
): Promise<TLSSocket> {
  const remote = plainSocket.remoteAddress ?? 'unknown';
  const target = `${remote}:${plainSocket.remotePort ?? 0}`;
  return establish(options, { socket: plainSocket }, target, remote);
}

function establish(
  options: TlsClientOptions,
  transport: { host: string; port: number } | { socket: Socket },
  target: string,
  defaultName: string,
): Promise<TLSSocket> {
  let pins: Pin[] | undefined;
  let tlsOptions: ConnectionOptions;
  let timeout: number;
  try {
    timeout = options.handshakeTimeout ?? CLIENT_DEFAULTS.handshakeTimeout;
    checkPositive('handshakeTimeout', timeout);
    checkVersion('minVersion', options.minVersion);
    checkVersion('maxVersion', options.maxVersion);
    if ((options.cert === undefined) !== (options.key === undefined)) {
      throw new InvalidArgumentError(
        'Pass both `cert` and `key` for a client certificate, or neither',
      );
    }
    pins = options.pin === undefined ? undefined : parsePins(options.pin);
    tlsOptions = buildOptions(options, transport, defaultName);
  } catch (error) {
    return Promise.reject(error);
  }
  if (options.signal?.aborted)
    return Promise.reject(new ConnectAbortedError(options.signal.reason));
  const cache =
    options.session === false ? undefined : (options.sessionCache ?? defaultSessionCache);
  const cacheKey = cache && sessionKey(options, target, options.servername ?? defaultName);
  const session = cacheKey === undefined ? undefined : cache?.get(cacheKey);
  if (session !== undefined) tlsOptions.session = session;

  return new Promise<TLSSocket>((resolve, reject) => {
    const socket = connect(tlsOptions);
    let tcpConnected = 'socket' in transport;
    const settle = (error?: unknown) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('secureConnect', onSecure);
      socket.on('error', () => undefined); // errors after this point belong to the caller
      if (error === undefined) return resolve(socket);
      if (cacheKey !== undefined) cache?.delete(cacheKey);
      socket.destroy();
      reject(error);
    };
    const onError = (error: Error) =>
      settle(
        tcpConnected
          ? toTlsError(error, { handshakeTimeout: timeout })
          : new ConnectError(target, {
              cause: error,
              opensslCode: (error as NodeJS.ErrnoException).code,
            }),
      );
    const onAbort = () => settle(new ConnectAbortedError(options.signal?.reason));
    const onSecure = () => {
      const raw = pins === undefined ? undefined : socket.getPeerCertificate().raw;
      if (pins !== undefined && (raw === undefined || !matchesPin(raw, pins))) {
        const fingerprint = raw === undefined ? 'none' : certificateFingerprint(raw);
        const spki = raw === undefined ? 'none' : spkiFingerprint(raw);
        return settle(new PinMismatchError(fingerprint, spki, pins.length));
      }
      settle();
    };
    const timer = setTimeout(() => settle(new HandshakeTimeoutError(timeout)), timeout);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      tcpConnected = true;
    });
    socket.on('error', onError);
    socket.once('secureConnect', onSecure);
    if (cacheKey !== undefined) socket.on('session', (s: Buffer) => cache?.set(cacheKey, s));
  });
}

function buildOptions(
  options: TlsClientOptions,
  transport: { host: string; port: number } | { socket: Socket },
  defaultName: string,
): ConnectionOptions {
  const name = options.servername ?? defaultName;
  const insecure = options.insecureSkipVerify === true;
  if (insecure) {
    process.emitWarning(
      `TLS certificate verification is OFF for ${name} (insecureSkipVerify): any server can impersonate it. Never use this in production.`,
      { code: 'NET_TLS_INSECURE', type: 'SecurityWarning' },
    );
  }
  const tlsOptions: ConnectionOptions = {
    ...transport,
    // RFC 6066 forbids IP addresses in SNI; the IP is still checked against the certificate.
    servername: isIP(name) === 0 ? name : undefined,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    passphrase: options.passphrase,
    ALPNProtocols: options.alpnProtocols,
    minVersion: options.minVersion ?? CLIENT_DEFAULTS.minVersion,
    maxVersion: options.maxVersion,
    ciphers: options.ciphers,
    rejectUnauthorized: !insecure,
    checkServerIdentity: insecure
      ? () => undefined
      : (_host, cert) => checkServerIdentity(name, cert),
  };
  for (const key of Object.keys(tlsOptions) as Array<keyof ConnectionOptions>) {
    if (tlsOptions[key] === undefined) delete tlsOptions[key];
  }
  return tlsOptions;
}

/** host:port:servername, plus a digest of everything that decides whom the client trusts. */
function sessionKey(options: TlsClientOptions, target: string, servername: string): string {
  const trust = createHash('sha256');
  for (const part of [options.ca, options.cert, options.pin, options.insecureSkipVerify]) {
    trust.update(
      JSON.stringify(
        part === undefined ? null : Buffer.isBuffer(part) ? part.toString('base64') : part,
      ),
    );
    trust.update('\0');
  }
  return `${target}:${servername}:${trust.digest('base64url').slice(0, 16)}`;
}
