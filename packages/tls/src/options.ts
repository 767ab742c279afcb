/**
 * Defaults of the client and the server, in one place so the README and the code agree,
 * and the checks of the options both share.
 */
import { InvalidArgumentError } from './errors.js';

/** TLS protocol versions this package allows (older ones are insecure). */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** Defaults of {@link connectTls} and {@link wrapSocket}. */
export const CLIENT_DEFAULTS = {
  host: 'localhost',
  minVersion: 'TLSv1.2' as TlsVersion,
  handshakeTimeout: 10_000,
  session: true,
  insecureSkipVerify: false,
} as const;

/** Defaults of {@link createTlsServer}. */
export const SERVER_DEFAULTS = {
  minVersion: 'TLSv1.2' as TlsVersion,
  handshakeTimeout: 10_000,
  sessionTimeout: 300,
  closeTimeout: 5_000,
  watchInterval: 1_000,
} as const;

/** Throws unless `value` is a positive number of milliseconds (or seconds). */
export function checkPositive(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`\`${name}\` must be a positive number, got ${String(value)}`);
  }
}

/** Throws unless `value` is TLS 1.2 or 1.3. */
export function checkVersion(name: string, value: unknown): void {
  if (value !== undefined && value !== 'TLSv1.2' && value !== 'TLSv1.3') {
    throw new InvalidArgumentError(
      `\`${name}\` must be 'TLSv1.2' or 'TLSv1.3', got ${String(value)}; TLS 1.0 and 1.1 are insecure and not supported`,
    );
  }
}
