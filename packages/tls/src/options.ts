/**
 * Defaults of the client and the server, in one place so the README and the code agree,
 * and the checks of the options both share.
 */
import { InvalidArgumentError } from '@net/core';
import { TCP_SERVER_DEFAULTS } from '@net/tcp-server';
import type { ConnectTlsOptions } from './client.js';
import type { TlsServerOptions } from './server.js';

/** TLS protocol versions this package allows (older ones are insecure). */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** Defaults of {@link connectTls} and {@link wrapSocket}. */
export const CLIENT_DEFAULTS = {
  /** `connectTls` connects to this machine. */
  host: 'localhost',
  /** TLS 1.2 or 1.3. */
  minVersion: 'TLSv1.2' as TlsVersion,
  /** 10 s for connecting and the handshake together. */
  handshakeTimeout: 10_000,
  /** Sessions are resumed. */
  session: true,
  /** Certificates are verified. */
  insecureSkipVerify: false,
} as const satisfies Required<
  // Options without a default: the port, what to trust and present, and per-call extras.
  Omit<
    ConnectTlsOptions,
    | 'port'
    | 'servername'
    | 'ca'
    | 'cert'
    | 'key'
    | 'passphrase'
    | 'pin'
    | 'alpnProtocols'
    | 'maxVersion'
    | 'ciphers'
    | 'sessionCache'
    | 'signal'
  >
>;

/**
 * Defaults of {@link createTlsServer}: its own options, then those of the connection
 * lifecycle (`@net/tcp-server`) it passes on. Options without a default (`cert`, `key`,
 * `clientCa`, `sni`, `alpnProtocols`, `maxVersion`, `ciphers`, `verify`, `onError`, ...)
 * are left out.
 */
export const SERVER_DEFAULTS = {
  /** Certificate files are read once (and by `reload()`). */
  watch: false,
  /** Poll every second when `watch` is on. */
  watchInterval: 1_000,
  /** TLS 1.2 or 1.3. */
  minVersion: 'TLSv1.2' as TlsVersion,
  /** 10 s from accept to a finished handshake. */
  handshakeTimeout: 10_000,
  /** 5 minutes, in seconds (OpenSSL's unit). */
  sessionTimeout: 300,
  /** 5 s, as `@net/tcp-server`. */
  closeTimeout: TCP_SERVER_DEFAULTS.closeTimeout,
  /** No limit, as `@net/tcp-server`. */
  maxConnections: TCP_SERVER_DEFAULTS.maxConnections,
  /** 5 minutes, as `@net/tcp-server`. */
  idleTimeout: TCP_SERVER_DEFAULTS.idleTimeout,
  /** 5 s, as `@net/tcp-server`. */
  endTimeout: TCP_SERVER_DEFAULTS.endTimeout,
  /** 511, Node's default. */
  backlog: TCP_SERVER_DEFAULTS.backlog,
  /** Nagle off, as `@net/tcp-server`. */
  noDelay: TCP_SERVER_DEFAULTS.noDelay,
  /** Keep-alive probes off. */
  keepAlive: TCP_SERVER_DEFAULTS.keepAlive,
  /** 1 MiB per connection, as `@net/tcp-server`. */
  writeHighWaterMark: TCP_SERVER_DEFAULTS.writeHighWaterMark,
  /** `@net/stream-reader`'s defaults. */
  reader: TCP_SERVER_DEFAULTS.reader,
} as const satisfies Required<Omit<TlsServerOptions, NoDefault>>;

/** {@link SERVER_DEFAULTS} with the option types (numbers, not the literal defaults). */
export type ServerDefaults = {
  -readonly [K in keyof typeof SERVER_DEFAULTS]-?: Exclude<TlsServerOptions[K], undefined>;
};

/** Options of {@link createTlsServer} without a default, left out of {@link SERVER_DEFAULTS}. */
type NoDefault =
  | 'cert'
  | 'key'
  | 'passphrase'
  | 'certFile'
  | 'keyFile'
  | 'clientCa'
  | 'sni'
  | 'alpnProtocols'
  | 'maxVersion'
  | 'ciphers'
  | 'verify'
  | 'onError';

/** Longest `sessionTimeout` OpenSSL takes, in seconds (a signed 32-bit integer). */
export const MAX_SESSION_TIMEOUT = 2 ** 31 - 1;

/** Throws unless `value` is TLS 1.2 or 1.3 (`undefined` = the default). */
export function checkVersion(name: string, value: unknown): void {
  if (value !== undefined && value !== 'TLSv1.2' && value !== 'TLSv1.3') {
    throw new InvalidArgumentError(
      `\`${name}\` must be 'TLSv1.2' or 'TLSv1.3', got ${String(value)}; TLS 1.0 and 1.1 are insecure and not supported`,
    );
  }
}
