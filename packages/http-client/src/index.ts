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
 * const s = new Session({ baseUrl: 'https://httpbin.org', retries: 2, auth: ['user', 'pass'] });
 * await s.post('/post', { json: { a: 1 } }); // cookies the server sets are sent back
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
  paginate,
  patch,
  post,
  put,
  request,
} from './api.js';
export {
  type Auth,
  type AuthFunction,
  type AuthRequest,
  DigestAuth,
  digestAuth,
} from './auth.js';
export { ACCEPT_ENCODING, MAX_CONTENT_CODINGS } from './decode.js';
export {
  AbortedError,
  BodyConsumedError,
  BodyStreamedError,
  ClientClosedError,
  ConnectionError,
  ConnectTimeoutError,
  DecompressionError,
  HookError,
  HttpError,
  IncompatibleOptionsError,
  InvalidArgumentError,
  InvalidOptionError,
  InvalidUrlError,
  JsonDecodeError,
  LineTooLongError,
  MissingSchemeError,
  NetError,
  ReadTimeoutError,
  ResponseTooLargeError,
  TlsError,
  TooManyContentCodingsError,
  TooManyRedirectsError,
  TotalTimeoutError,
  UploadSourceError,
} from './errors.js';
export type { ResponseHeaders } from './headers.js';
export type {
  AfterResponseHook,
  BeforeRedirectHook,
  BeforeRequestHook,
  BeforeRetryHook,
  HookRequest,
  Hooks,
  RetryState,
} from './hooks.js';
export { ITER_DEFAULTS, type IterLinesOptions, type ServerSentEvent } from './iter.js';
export type { Link, Links } from './links.js';
export {
  type CommonOptions,
  DEFAULT_OPTIONS,
  type Files,
  type HeadersInit,
  type Params,
  type Progress,
  type ProxyOptions,
  type RequestOptions,
  type RetryOptions,
  type SessionOptions,
  type Timeouts,
  type TlsOptions,
  type UploadFile,
} from './options.js';
export { DEFAULT_MAX_PAGES, type PaginateOptions } from './paginate.js';
export { Response } from './response.js';
export { type MethodOptions, Session } from './session.js';
