/**
 * The requests-style top-level functions (`get`, `head`, `post`, ...). They share one
 * lazily created default {@link Session}, so keep-alive connections are reused.
 */
import type { RequestOptions } from './options.js';
import type { Response } from './response.js';
import { type MethodOptions, Session } from './session.js';

let shared: Session | undefined;

function session(): Session {
  shared ??= new Session();
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
 * Closes the default session's connections (the next top-level call opens new ones).
 * Idle connections never keep the process alive, so this is only needed for a prompt cleanup.
 */
export async function closeDefaultSession(): Promise<void> {
  const current = shared;
  shared = undefined;
  await current?.close();
}
