/**
 * Option types of `@net/http-client` and {@link DEFAULT_OPTIONS}, the one place the
 * defaults live (the README's tables are copied from it).
 */
import type { Readable } from 'node:stream';
import type { CookieJar } from 'tough-cookie';
import type { Dispatcher } from 'undici';
import type { Auth } from './auth.js';
import { ACCEPT_ENCODING } from './decode.js';
import type { Hooks } from './hooks.js';

/** Query parameters: values `null`/`undefined` are skipped, arrays repeat the key. */
export type Params =
  | URLSearchParams
  | Record<
      string,
      string | number | boolean | null | undefined | ReadonlyArray<string | number | boolean>
    >;

/** Request headers; `undefined` and `null` values remove a header set by the session. */
export type HeadersInit = Record<string, string | number | readonly string[] | null | undefined>;

/** Timeouts in milliseconds; `0` disables one. */
export interface Timeouts {
  /** TCP + TLS connection set-up. */
  connect?: number;
  /** From sending the request until the response headers have arrived. */
  headers?: number;
  /** Longest silence between two chunks of the body (an idle timeout). */
  body?: number;
  /** The whole call, redirects, retries and body included. Off (`0`) by default. */
  total?: number;
}

/** TLS options for `https:` URLs, e.g. `@net/tls` development certificates. */
export interface TlsOptions {
  /**
   * CA certificate(s) to trust (PEM), e.g. a private CA. Added to Node's bundled root
   * certificates unless `systemCa` is `false`.
   */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /**
   * Also trust Node's bundled root certificates (`tls.rootCertificates`) next to `ca`.
   * Default `true`; `false` trusts only `ca`, e.g. to pin an internal service to its CA.
   */
  systemCa?: boolean;
  /** Client certificate (PEM), for servers that require one. */
  cert?: string | Buffer;
  /** Private key of the client certificate (PEM). */
  key?: string | Buffer;
  /**
   * Verify the server's certificate. Default `true`; `false` (local experiments only) emits
   * a one-time warning, as `@net/tls`'s `insecureSkipVerify` does.
   */
  rejectUnauthorized?: boolean;
  /** Server name for SNI and certificate checks, when it differs from the URL's host. */
  servername?: string;
}

/** Retry policy; a number `n` means `{ total: n }`. */
export interface RetryOptions {
  /** Retries after the first attempt. */
  total?: number;
  /** Methods that may be retried (idempotent ones by default). */
  methods?: readonly string[];
  /** Response statuses that trigger a retry. */
  statusCodes?: readonly number[];
  /** Delay before retry `n` (1-based) is `backoff * 2 ** (n - 1)` ms, capped at `maxBackoff`. */
  backoff?: number;
  /** Upper bound of one backoff delay, in ms. */
  maxBackoff?: number;
  /** Honour a `Retry-After` header (seconds or HTTP date) on retried statuses. */
  respectRetryAfter?: boolean;
  /** Longest `Retry-After` honoured, in ms; a longer one ends retrying and returns the response. */
  maxRetryAfter?: number;
}

/** Download progress (with `stream: true`) or upload progress (`onUploadProgress`). */
export interface Progress {
  /** Bytes received (after decompression) or sent so far. */
  loaded: number;
  /**
   * Downloads: `Content-Length` when the server sent one and the body is not compressed.
   * Uploads: the body's length when it is known.
   */
  total: number | undefined;
}

/** One file of a multipart upload (`files`), as requests' `(filename, data, content_type)`. */
export interface UploadFile {
  /** File name sent in `Content-Disposition`; defaults to the base name of `path`, else the field name. */
  filename?: string;
  /** The file's content (give this or `path`). */
  data?: string | Uint8Array | ArrayBuffer | Blob;
  /** A file on disk, streamed from there (give this or `data`). */
  path?: string;
  /** Defaults to `application/octet-stream`. */
  contentType?: string;
}

/** Multipart files by field name: an {@link UploadFile}, or the content alone. */
export type Files = Record<string, UploadFile | Uint8Array | ArrayBuffer | Blob>;

/** Proxy configuration: a URL (`http://user:pass@proxy:3128`) or an object. */
export type ProxyOptions =
  | string
  | {
      /** Proxy URL. */
      url: string;
      /** Value of `Proxy-Authorization` (e.g. `Basic ...`), if not in the URL. */
      token?: string;
    };

/** Options shared by a {@link Session} and each request. */
export interface CommonOptions {
  /** Headers sent with every request (merged, case-insensitively, request headers win). */
  headers?: HeadersInit;
  /** Query parameters added to the URL. */
  params?: Params;
  /** A number sets connect, headers and body timeouts at once (as in requests). */
  timeout?: number | Timeouts;
  /** Opt-in retries for idempotent methods (`0` by default). */
  retries?: number | RetryOptions;
  /** Follow redirects (default `true`, except `false` for HEAD). */
  allowRedirects?: boolean;
  /** Redirects followed before {@link TooManyRedirectsError}. */
  maxRedirects?: number;
  /**
   * Largest response body buffered, in bytes, after decompression (`0` = no limit). 128 MiB by
   * default, so a huge body or a decompression bomb fails cleanly instead of exhausting memory;
   * `stream: true` bodies are not buffered and not limited.
   */
  maxResponseSize?: number;
  /** TLS options (custom CA, client certificate). */
  tls?: TlsOptions;
  /** Explicit proxy; always beats environment variables. `false` disables proxies. */
  proxy?: ProxyOptions | false;
  /** Read `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` when no `proxy` is given. Default `false`. */
  trustEnv?: boolean;
  /**
   * An undici dispatcher (Agent, Pool, MockAgent, ...) to send through; you own its lifetime.
   * It is never replaced: options that need a dispatcher of their own (`tls`, `proxy`,
   * `trustEnv`, `timeout.connect`, `http2`, `socketPath`, `cache`) are refused with it.
   */
  dispatcher?: Dispatcher;
  /**
   * Credentials: `['user', 'pass']` (Basic), `{ bearer: token }`, `digestAuth(user, pass)`
   * (RFC 7616 Digest), or a function that sets headers on the request (sign, refresh).
   * Sent only to the origin of the request: dropped on cross-origin redirects.
   */
  auth?: Auth;
  /** Functions called around each request (got/ky names); session and request hooks both run. */
  hooks?: Hooks;
  /** Offer HTTP/2 by ALPN on `https:` (undici's `allowH2`). Default `false`. */
  http2?: boolean;
  /** Connect to this Unix domain socket instead of the URL's host and port. */
  socketPath?: string;
}

/** Options of one request. */
export interface RequestOptions extends CommonOptions {
  /** Body serialised as JSON (`content-type: application/json`). */
  json?: unknown;
  /** Body form-encoded (`application/x-www-form-urlencoded`). */
  form?: Record<string, string | number | boolean | ReadonlyArray<string | number | boolean>>;
  /**
   * Raw body; a plain object is form-encoded, as in requests. A `Blob`, a buffer or a file
   * stream (`fs.createReadStream`) is sent with its `Content-Length`; other streams are
   * chunked unless you set `content-length`.
   */
  data?:
    | string
    | Uint8Array
    | ArrayBuffer
    | ArrayBufferView
    | Blob
    | Readable
    | AsyncIterable<Uint8Array>
    | Record<string, string | number | boolean | ReadonlyArray<string | number | boolean>>;
  /** Multipart body (`multipart/form-data`), built with the global `FormData`. */
  multipart?: FormData;
  /**
   * Multipart upload as requests' `files=`: one part per field (with `data` or `form` fields
   * added as text parts). Sent with `Content-Length`.
   */
  files?: Files;
  /** Called as the request body is sent (each attempt starts again from 0). */
  onUploadProgress?: (progress: Progress) => void;
  /** Return before reading the body: iterate `response.body`. */
  stream?: boolean;
  /** With `stream: true`, called as body chunks arrive. */
  onDownloadProgress?: (progress: Progress) => void;
  /** Abort the request. */
  signal?: AbortSignal;
}

/** Options of a {@link Session}. */
export interface SessionOptions extends CommonOptions {
  /** Resolved against relative request URLs (`/path` or `path`). */
  baseUrl?: string;
  /** Most connections per origin (`0` = unlimited). */
  connections?: number;
  /** How long an idle keep-alive connection stays open, in ms. */
  keepAliveTimeout?: number;
  /**
   * Cookie jar (tough-cookie, RFC 6265): `true` (default) keeps one per session, `false`
   * sends and stores no cookies, a `CookieJar` is used (and may be shared) as it is.
   */
  cookies?: boolean | CookieJar;
  /**
   * Opt-in HTTP cache (RFC 9111, undici's cache interceptor, in memory): fresh responses
   * are served from it and stale ones revalidated with `ETag`/`Last-Modified`.
   */
  cache?: boolean;
}

/**
 * Default values of every option that has one (the others are off or empty by default:
 * `params`, bodies, `tls`, `proxy`, `dispatcher`, `baseUrl`, `signal`, `onDownloadProgress`).
 */
export const DEFAULT_OPTIONS = {
  /** Sent with every request; HEAD leaves out `accept-encoding` (see the README). */
  headers: {
    /** The package's name, no version. */
    'user-agent': '@net/http-client',
    /** Any media type. */
    accept: '*/*',
    /** The codings this Node can decode: gzip, deflate, br, and zstd where `node:zlib` has it. */
    'accept-encoding': ACCEPT_ENCODING,
  },
  /** In ms; no total limit. */
  timeout: {
    /** 10 s. */
    connect: 10_000,
    /** 30 s. */
    headers: 30_000,
    /** 30 s of silence. */
    body: 30_000,
    /** Off. */
    total: 0,
  },
  /** Fields a `retries` option leaves out (a number `n` sets only `total`). */
  retries: {
    /** No retry unless asked. */
    total: 0,
    /** The idempotent methods. */
    methods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'],
    /** Too many requests, bad gateway, unavailable, gateway timeout. */
    statusCodes: [429, 502, 503, 504],
    /** 100 ms, doubling per retry. */
    backoff: 100,
    /** 10 s. */
    maxBackoff: 10_000,
    /** Yes, up to `maxRetryAfter`. */
    respectRetryAfter: true,
    /** 60 s. */
    maxRetryAfter: 60_000,
  },
  /** `true`, except for HEAD, whose redirects are returned unless this is set. */
  allowRedirects: true,
  /** 10; the 11th fails with {@link TooManyRedirectsError}. */
  maxRedirects: 10,
  /** 128 MiB, after decompression. */
  maxResponseSize: 128 * 1024 * 1024,
  /** Proxy environment variables are ignored unless asked. */
  trustEnv: false,
  /** Bodies are read whole. */
  stream: false,
  /** No limit per origin. */
  connections: 0,
  /** 4 s, undici's default. */
  keepAliveTimeout: 4_000,
  /** HTTP/1.1 only unless asked. */
  http2: false,
  /** A jar per session (the top-level functions keep one per call, for its redirects). */
  cookies: true,
  /** No caching unless asked. */
  cache: false,
} as const satisfies Required<
  Omit<
    SessionOptions & RequestOptions,
    | 'params'
    | 'tls'
    | 'proxy'
    | 'dispatcher'
    | 'baseUrl'
    | 'json'
    | 'form'
    | 'data'
    | 'multipart'
    | 'onDownloadProgress'
    | 'signal'
    | 'auth'
    | 'hooks'
    | 'socketPath'
    | 'files'
    | 'onUploadProgress'
  >
>;

/** Timeouts with every field resolved. */
export type ResolvedTimeouts = Required<Timeouts>;
/** Retry policy with every field resolved. */
export type ResolvedRetry = {
  readonly [K in keyof RetryOptions]-?: Exclude<RetryOptions[K], undefined>;
};
