/**
 * Header handling: request headers merged case-insensitively (later sources win, `null`
 * removes), and response headers behind a case-insensitive view.
 */
import type { HeadersInit } from './options.js';

/** Response headers: lower-case names; a repeated header (e.g. `set-cookie`) is an array. */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Request headers as sent to undici: lower-case names. */
export type HeaderRecord = Record<string, string | string[]>;

/**
 * Merges header sources into a new lower-case record; later sources win and a `null` or
 * `undefined` value removes the header.
 */
export function mergeHeaders(...sources: Array<HeadersInit | undefined>): HeaderRecord {
  const out: HeaderRecord = {};
  for (const source of sources) {
    if (source === undefined) continue;
    for (const name of Object.keys(source)) {
      const value = source[name];
      const key = name.toLowerCase();
      if (value === null || value === undefined) delete out[key];
      else out[key] = Array.isArray(value) ? value.map(String) : String(value);
    }
  }
  return out;
}

const caseInsensitive: ProxyHandler<Record<string, string | string[]>> = {
  get: (target, name) => (typeof name === 'string' ? target[name.toLowerCase()] : undefined),
  has: (target, name) => typeof name === 'string' && name.toLowerCase() in target,
  getOwnPropertyDescriptor: (target, name) =>
    typeof name === 'string'
      ? Object.getOwnPropertyDescriptor(target, name.toLowerCase())
      : undefined,
  set: () => false,
  deleteProperty: () => false,
  defineProperty: () => false,
};

/** Wraps undici's (already lower-case) response headers in a read-only case-insensitive view. */
export function caseInsensitiveHeaders(raw: Record<string, string | string[] | undefined>) {
  const copy: Record<string, string | string[]> = Object.create(null);
  for (const name of Object.keys(raw)) {
    const value = raw[name];
    if (value !== undefined) copy[name.toLowerCase()] = value;
  }
  return new Proxy(copy, caseInsensitive) as ResponseHeaders;
}

/** One header's value as a string: repeated values joined with `, ` (undefined if absent). */
export function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
