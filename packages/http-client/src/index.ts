/**
 * `@net/http-client`: a requests-style HTTP client on undici (Python Cookbook recipe
 * 11.1). Bodies are read for you (`text`, `content`, `json()`), timeouts are on by
 * default, redirects follow requests' rules, retries are opt-in, and every failure is a
 * typed error with a stable `code`.
 *
 * @example
 * ```ts
 * import { get, head, Session } from '@net/http-client';
 *
 * const resp = await head('https://example.com/');
 * console.log(resp.statusCode, resp.headers['Last-Modified'], resp.headers['content-type']);
 *
 * const r = await get('https://httpbin.org/get', { params: { q: 'node' }, timeout: 5_000 });
 * console.log(r.ok, r.json());
 *
 * const s = new Session({ baseUrl: 'https://httpbin.org', retries: 2 });
 * await s.post('/post', { json: { a: 1 } });
 * await s.close();
 * ```
 *
 * @packageDocumentation
 */
export {
  closeDefaultSession,
  del,
  del as delete,
  get,
  head,
  options,
  patch,
  post,
  put,
  request,
} from './api.js';
export { ACCEPT_ENCODING } from './decode.js';
export {
  AbortedError,
  BodyStreamedError,
  ClientClosedError,
  ConnectionError,
  ConnectTimeoutError,
  DecompressionError,
  HttpError,
  InvalidArgumentError,
  InvalidOptionError,
  InvalidUrlError,
  JsonDecodeError,
  MissingSchemeError,
  NetError,
  ReadTimeoutError,
  ResponseTooLargeError,
  TlsError,
  TooManyRedirectsError,
  TotalTimeoutError,
} from './errors.js';
export type { ResponseHeaders } from './headers.js';
export {
  type CommonOptions,
  DEFAULT_OPTIONS,
  type HeadersInit,
  type Params,
  type Progress,
  type ProxyOptions,
  type RequestOptions,
  type RetryOptions,
  type SessionOptions,
  type Timeouts,
  type TlsOptions,
} from './options.js';
export { Response } from './response.js';
export { type MethodOptions, Session } from './session.js';
