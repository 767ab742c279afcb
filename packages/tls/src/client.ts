/**
 * The client: `connectTls` opens a verified TLS connection, `wrapSocket` upgrades a plain
 * socket already connected (STARTTLS). Verification is always on unless switched off
 * explicitly (and loudly); sessions are resumed through a {@link TlsSessionCache}.
 */
import { createHash } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import { type ConnectionOptions, checkServerIdentity, connect, type TLSSocket } from 'node:tls';
import { checkMs } from '@net/core';
import { toTlsError } from './error-mapping.js';
import {
  ConnectAbortedError,
  ConnectError,
  clientHandshakeTimeout,
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
import { CLIENT_DEFAULTS, checkVersion, type TlsVersion } from './options.js';
import { defaultSessionCache, type TlsSessionCache } from './session-cache.js';

/**
 * PEM text or bytes, or a list of them (as `node:tls` takes). Not exported: the reference
 * shows the union in place.
 *
 * @inline
 */
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
  /**
   * Milliseconds for the TCP connection and the TLS handshake together; past it the attempt
   * fails with `ERR_HANDSHAKE_TIMEOUT`. 0 = no deadline. Default 10 000.
   */
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
 * `ERR_TLS_CERT_EXPIRED`, `ERR_TLS_PIN_MISMATCH`, `ERR_HANDSHAKE_TIMEOUT`,
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
    checkMs('handshakeTimeout', timeout);
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
  const cacheKey =
    cache && sessionKey(options, transport, target, options.servername ?? defaultName);
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
      // A resumed session carries no certificate (the server sends none), so there is
      // nothing to pin; it came from the cache entry of these very pins and trust settings
      // (sessionKey), made by a connection whose certificate matched them.
      const resumed = session !== undefined && socket.isSessionReused();
      const raw = pins === undefined || resumed ? undefined : socket.getPeerCertificate().raw;
      if (pins !== undefined && !resumed && (raw === undefined || !matchesPin(raw, pins))) {
        const fingerprint = raw === undefined ? 'none' : certificateFingerprint(raw);
        const spki = raw === undefined ? 'none' : spkiFingerprint(raw);
        return settle(new PinMismatchError(fingerprint, spki, pins.length));
      }
      settle();
    };
    const timer =
      timeout > 0
        ? setTimeout(() => settle(clientHandshakeTimeout(timeout, target)), timeout)
        : undefined;
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

/**
 * The session cache key: everything that decides whether a session may be resumed by this
 * connection. A session proves that the server was verified once, for one name, under one
 * trust configuration, with one client identity; resuming it skips those checks. So the
 * key holds where we connect (`host`, `port`; for `wrapSocket` the socket's remote address
 * and port), the name verified (`servername`), whom we trust (`ca`, `pin`,
 * `insecureSkipVerify`), who we are (`cert`, `key`) and the protocol floor and ceiling
 * (`minVersion`, `maxVersion`, `ciphers`), so that a session made under weaker settings
 * is never resumed under stronger ones. Certificates and keys go in as SHA-256 digests.
 */
function sessionKey(
  options: TlsClientOptions,
  transport: { host: string; port: number } | { socket: Socket },
  target: string,
  servername: string,
): string {
  const where =
    'socket' in transport
      ? { host: transport.socket.remoteAddress ?? null, port: transport.socket.remotePort ?? null }
      : { host: transport.host, port: transport.port };
  const fields = [
    where.host,
    where.port,
    servername,
    digestPem(options.ca),
    digestPem(options.cert),
    digestPem(options.key),
    options.pin === undefined ? null : [options.pin].flat(),
    options.insecureSkipVerify === true,
    options.minVersion ?? CLIENT_DEFAULTS.minVersion,
    options.maxVersion ?? null,
    options.ciphers ?? null,
  ];
  const digest = createHash('sha256').update(JSON.stringify(fields)).digest('base64url');
  return `${target}:${digest.slice(0, 22)}`;
}

/** SHA-256 of PEM strings or Buffers (one or a list), or null when absent. */
function digestPem(pem: string | Buffer | Array<string | Buffer> | undefined): string | null {
  if (pem === undefined) return null;
  const hash = createHash('sha256');
  for (const part of [pem].flat()) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    hash.update(String(bytes.byteLength)).update(':').update(bytes);
  }
  return hash.digest('base64url');
}
