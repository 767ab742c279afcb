/**
 * Following a redirect the way requests does: 303 (and 302, and 301 after POST) become
 * GET without a body; 307 and 308 repeat the method and body; credentials stay behind
 * when the redirect leaves the origin.
 */
import { type EncodedBody, NO_BODY } from './body.js';
import type { HeaderRecord } from './headers.js';
import type { Target } from './url.js';

/** One request of a redirect chain. */
export interface Hop {
  method: string;
  target: Target;
  headers: HeaderRecord;
  body: EncodedBody;
  /**
   * The chain has left the first request's origin: credentials (`auth`, `Authorization`,
   * `Cookie` headers) are no longer sent, even if a later redirect comes back.
   */
  credentialsDropped: boolean;
}
const BODY_HEADERS = ['content-type', 'content-length', 'transfer-encoding', 'content-encoding'];
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/** Is `statusCode` a redirect this client follows? */
export function isFollowable(statusCode: number): boolean {
  return (
    statusCode === 301 ||
    statusCode === 302 ||
    statusCode === 303 ||
    statusCode === 307 ||
    statusCode === 308
  );
}

/**
 * The request to send for a redirect to `location`, or `undefined` when it cannot be
 * followed (a non-http(s) location, or a streamed body that a 307/308 would resend).
 */
export function nextHop(statusCode: number, location: string, hop: Hop): Hop | undefined {
  let url: URL;
  try {
    url = new URL(location, hop.target.href);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.hash = '';
  const path = url.pathname + url.search;
  const target: Target = { origin: url.origin, path, href: url.origin + path };

  let { method, body } = hop;
  const headers = { ...hop.headers };
  const toGet =
    (statusCode === 303 && method !== 'HEAD') ||
    (statusCode === 302 && method !== 'HEAD') ||
    (statusCode === 301 && method === 'POST');
  if (toGet) {
    method = 'GET';
    body = NO_BODY;
    for (const name of BODY_HEADERS) delete headers[name];
  } else if (!body.replayable) {
    return undefined;
  }
  let { credentialsDropped } = hop;
  if (shouldDropCredentials(new URL(hop.target.origin), url)) {
    for (const name of CREDENTIAL_HEADERS) delete headers[name];
    credentialsDropped = true;
  }
  return { method, target, headers, body, credentialsDropped };
}

/** Credentials go only to the same origin, or from http to https on default ports (as requests). */
function shouldDropCredentials(from: URL, to: URL): boolean {
  if (from.hostname !== to.hostname) return true;
  if (from.protocol === 'http:' && to.protocol === 'https:' && from.port === '' && to.port === '') {
    return false;
  }
  return from.protocol !== to.protocol || from.port !== to.port;
}
