/**
 * The client's TLS session cache, so that repeated connections to the same server resume
 * their session (an abbreviated handshake) instead of repeating the full one.
 */
import { InvalidArgumentError } from './errors.js';

/**
 * A bounded, least-recently-used map of TLS sessions (as given by a `TLSSocket`'s
 * `'session'` event). {@link connectTls} keys it by `host:port:servername` plus a digest of
 * the trust settings (`ca`, `cert`, `pin`), so a session is only resumed by a connection
 * that would have verified the server the same way.
 */
export class TlsSessionCache {
  readonly #max: number;
  readonly #sessions = new Map<string, Buffer>();

  /**
   * Throws `ERR_INVALID_ARGUMENT` unless `max` is an integer >= 1.
   *
   * @param max how many sessions to keep (default 1000); the least recently used go first.
   */
  constructor(max = 1_000) {
    if (!Number.isInteger(max) || max < 1) {
      throw new InvalidArgumentError(`TlsSessionCache max must be an integer >= 1, got ${max}`);
    }
    this.#max = max;
  }

  /** The session stored for `key`, if any (and marks it recently used). */
  get(key: string): Buffer | undefined {
    const session = this.#sessions.get(key);
    if (session !== undefined) {
      this.#sessions.delete(key);
      this.#sessions.set(key, session);
    }
    return session;
  }

  /** Stores the newest session for `key`. */
  set(key: string, session: Buffer): void {
    this.#sessions.delete(key);
    this.#sessions.set(key, session);
    if (this.#sessions.size > this.#max) {
      const oldest = this.#sessions.keys().next().value as string;
      this.#sessions.delete(oldest);
    }
  }

  /** Forgets the session for `key` (done after a failed connection). */
  delete(key: string): void {
    this.#sessions.delete(key);
  }

  /** Forgets every session. */
  clear(): void {
    this.#sessions.clear();
  }

  /** How many sessions are stored. */
  get size(): number {
    return this.#sessions.size;
  }
}

/** The cache {@link connectTls} uses unless given another one (or `session: false`). */
export const defaultSessionCache = new TlsSessionCache();
