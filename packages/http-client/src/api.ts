/**
 * The requests-style top-level functions (`get`, `head`, `post`, ...). They share one
 * lazily created default {@link Session}, so keep-alive connections are reused; cookies
 * live for one call (its redirects), never from one call to another.
 */
import type { RequestOptions } from './options.js';
import type { PaginateOptions } from './paginate.js';
import type { Response } from './response.js';
import { keepCookiesPerCall, type MethodOptions, Session } from './session.js';

let shared: Session | undefined;

function session(): Session {
  // Unrelated callers share this session, so it has no jar of its own (as requests'
  // functions, each call has a fresh one: a login's 302 + Set-Cookie still works).
  shared ??= keepCookiesPerCall(new Session({ cookies: false }));
  return shared;
}

/** Sends a request with any method, e.g. `request('PROPFIND', url)`. */
export function request(
  method: string,
  url: string | URL,
  options?: RequestOptions,
): Promise<Response> {
  return session().request(method, url, options);
}

/** Sends a `GET` and reads the body: `(await get(url)).text`. */
export function get(url: string | URL, options?: MethodOptions): Promise<Response> {
  return session().get(url, options);
}

/** Sends a `HEAD`; redirects are not followed unless `allowRedirects: true`. */
export function head(url: string | URL, options?: MethodOptions): Promise<Response> {
  return session().head(url, options);
}

/** Sends a `POST`; the body comes from `json`, `form`, `data` or `multipart`. */
export function post(url: string | URL, options?: MethodOptions): Promise<Response> {
  return session().post(url, options);
}

/** Sends a `PUT`. */
export function put(url: string | URL, options?: MethodOptions): Promise<Response> {
  return session().put(url, options);
}

/** Sends a `PATCH`. */
export function patch(url: string | URL, options?: MethodOptions): Promise<Response> {
  return session().patch(url, options);
}

/** Sends a `DELETE` (named `del` because `delete` is a reserved word; also exported as `delete`). */
export function del(url: string | URL, options?: MethodOptions): Promise<Response> {
  return session().delete(url, options);
}

/** Sends an `OPTIONS`. */
export function options(url: string | URL, opts?: MethodOptions): Promise<Response> {
  return session().options(url, opts);
}

/**
 * Iterates the pages of a paginated API: GETs `url`, then each `Link: <...>; rel="next"`,
 * one request per step, at most `maxPages` (100). See {@link Session.paginate}.
 */
export function paginate(
  url: string | URL,
  options?: MethodOptions & PaginateOptions,
): AsyncGenerator<Response, void, undefined> {
  return session().paginate(url, options);
}

/**
 * Closes the default session's connections (the next top-level call opens new ones).
 * Idle connections never keep the process alive, so this is only needed for a prompt cleanup.
 */
export async function closeDefaultSession(): Promise<void> {
  const current = shared;
  shared = undefined;
  await current?.close();
}
