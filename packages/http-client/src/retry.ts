/**
 * The retry policy: which failures are retried, and how long to wait (exponential
 * backoff, or the server's `Retry-After`).
 */
import { checkBoolean, checkCount, checkMs, withDefaults } from '@net/core';
import { headerValue } from './headers.js';
import { DEFAULT_OPTIONS, type ResolvedRetry, type RetryOptions } from './options.js';

/** Resolves the `retries` option against the defaults. */
export function resolveRetry(option: number | RetryOptions | undefined): ResolvedRetry {
  const given = typeof option === 'number' ? { total: option } : (option ?? {});
  const retry = withDefaults(DEFAULT_OPTIONS.retries, given, 'retries') as ResolvedRetry;
  checkCount('retries', retry.total);
  // Delays become timers: each is checked against Node's 2^31-1 ms ceiling.
  checkMs('retries.backoff', retry.backoff);
  checkMs('retries.maxBackoff', retry.maxBackoff);
  checkMs('retries.maxRetryAfter', retry.maxRetryAfter);
  checkBoolean('retries.respectRetryAfter', retry.respectRetryAfter);
  return { ...retry, methods: retry.methods.map((method) => method.toUpperCase()) };
}

/** Connection-level failures worth another attempt (the request may not have been seen). */
const RETRYABLE_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/** Is `error` (from undici, before any response) one that a retry may cure? */
export function isRetryableError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_ERRORS.has(code);
}

/**
 * Is `error` a reset of a connection that undici reused from the keep-alive pool? The
 * server closed an idle connection just as the request went out: the request never got
 * a response, so an idempotent request is safe to send once more on a fresh connection.
 */
export function isStaleConnectionReset(error: unknown): boolean {
  const e = error as { code?: unknown; socket?: { bytesRead?: number } } | null;
  if (e?.code === 'UND_ERR_SOCKET') return (e.socket?.bytesRead ?? 0) > 0;
  return e?.code === 'ECONNRESET' || e?.code === 'EPIPE';
}

/** Milliseconds to wait before retry number `attempt` (1-based); `undefined`: give up. */
export function retryDelay(
  retry: ResolvedRetry,
  attempt: number,
  headers?: Record<string, string | string[] | undefined>,
): number | undefined {
  const backoff = Math.min(retry.backoff * 2 ** (attempt - 1), retry.maxBackoff);
  if (headers === undefined || !retry.respectRetryAfter) return backoff;
  const after = parseRetryAfter(headerValue(headers, 'retry-after'), Date.now());
  if (after === undefined) return backoff;
  return after > retry.maxRetryAfter ? undefined : after;
}

/** Parses `Retry-After` (delay-seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
