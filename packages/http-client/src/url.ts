/**
 * Turning the caller's URL (plus `baseUrl` and `params`) into the origin and path undici
 * wants. Absolute `http(s)://` URLs with plain ASCII paths take a fast path that parses
 * only the origin, once per distinct origin.
 */
import { InvalidUrlError, MissingSchemeError } from './errors.js';
import type { Params } from './options.js';

/** A request target split the way undici dispatches it. */
export interface Target {
  /** `scheme://host[:port]`, normalised. */
  origin: string;
  /** Path and query, starting with `/`. */
  path: string;
  /** `origin + path`. */
  href: string;
  /** `user:password` from the URL, decoded, if it had any. */
  userinfo?: string;
}

const originCache = new Map<string, string>();
const ORIGIN_CACHE_LIMIT = 256;
// Printable ASCII without space, '#', '\' and never starting a dot segment: these paths
// are exactly what the WHATWG parser would produce, so no parse is needed.
const PLAIN_PATH = /^\/[!"$-[\]-~]*$/;
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const HOST_PORT = /^[^/:?#]+:\d+(?:[/?#]|$)/;

/** Resolves `url` against `baseUrl`, appends `params`, and splits it for undici. */
export function resolveTarget(url: string | URL, baseUrl?: string, params?: Params): Target {
  let text = typeof url === 'string' ? url : url.href;
  if (baseUrl !== undefined && !HAS_SCHEME.test(text)) {
    text = `${baseUrl.replace(/\/+$/, '')}/${text.replace(/^\/+/, '')}`;
  }
  const target = fastTarget(text) ?? slowTarget(text);
  if (params !== undefined) {
    const query = encodeParams(params);
    if (query !== '') {
      target.path += (target.path.includes('?') ? '&' : '?') + query;
      target.href = target.origin + target.path;
    }
  }
  return target;
}

function fastTarget(text: string): Target | undefined {
  let start: number;
  if (text.startsWith('http://')) start = 7;
  else if (text.startsWith('https://')) start = 8;
  else return undefined;
  let end = start;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    if (c === 0x2f || c === 0x3f || c === 0x23 || c === 0x40) break; // / ? # @
    end++;
  }
  if (text.charCodeAt(end) !== 0x2f) return undefined; // userinfo, query-only, or no path
  const path = text.slice(end);
  if (!PLAIN_PATH.test(path) || path.includes('/.')) return undefined;
  const rawOrigin = text.slice(0, end);
  let origin = originCache.get(rawOrigin);
  if (origin === undefined) {
    origin = slowTarget(rawOrigin).origin;
    if (originCache.size >= ORIGIN_CACHE_LIMIT) originCache.clear();
    originCache.set(rawOrigin, origin);
  }
  return { origin, path, href: origin + path };
}

function slowTarget(text: string): Target {
  if (!HAS_SCHEME.test(text) || HOST_PORT.test(text)) {
    if (text.trim() === '') throw new InvalidUrlError(text, 'the URL is empty');
    if (text.startsWith('/')) {
      throw new InvalidUrlError(text, 'a relative URL needs a Session with baseUrl');
    }
    throw new MissingSchemeError(text);
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch (error) {
    throw new InvalidUrlError(text, 'it cannot be parsed', undefined, error);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidUrlError(text, `unsupported scheme ${parsed.protocol}; use http: or https:`);
  }
  if (parsed.hostname === '') throw new InvalidUrlError(text, 'it has no host');
  const path = parsed.pathname + parsed.search;
  const target: Target = { origin: parsed.origin, path, href: parsed.origin + path };
  if (parsed.username !== '' || parsed.password !== '') {
    target.userinfo = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  }
  return target;
}

/** Encodes query parameters as requests does (`+` for spaces, arrays repeat the key). */
export function encodeParams(params: Params): string {
  if (params instanceof URLSearchParams) return params.toString();
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) search.append(key, String(item));
    else search.append(key, String(value));
  }
  return search.toString();
}
