/**
 * Option types of `@net/http-client` and {@link DEFAULT_OPTIONS}, the one place the
 * defaults live (the README's tables are copied from it).
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ACCEPT_ENCODING } from './decode.js';

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
  /** CA certificate(s) to trust instead of the system's (PEM). */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Client certificate (PEM), for servers that require one. */
  cert?: string | Buffer;
  /** Private key of the client certificate (PEM). */
  key?: string | Buffer;
  /** Verify the server's certificate. Default `true`; turn off only for local experiments. */
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

/** Download progress reported with `stream: true`. */
export interface Progress {
  /** Bytes received so far (after decompression). */
  loaded: number;
  /** `Content-Length` when the server sent one and the body is not compressed. */
  total: number | undefined;
}

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
  /** An undici dispatcher (Agent, Pool, MockAgent, ...) to send through; you own its lifetime. */
  dispatcher?: Dispatcher;
}

/** Options of one request. */
export interface RequestOptions extends CommonOptions {
  /** Body serialised as JSON (`content-type: application/json`). */
  json?: unknown;
  /** Body form-encoded (`application/x-www-form-urlencoded`). */
  form?: Record<string, string | number | boolean | ReadonlyArray<string | number | boolean>>;
  /** Raw body; a plain object is form-encoded, as in requests. */
  data?:
    | string
    | Uint8Array
    | Readable
    | AsyncIterable<Uint8Array>
    | Record<string, string | number | boolean | ReadonlyArray<string | number | boolean>>;
  /** Multipart body (`multipart/form-data`), built with the global `FormData`. */
  multipart?: FormData;
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
  >
>;

/** Timeouts with every field resolved. */
export type ResolvedTimeouts = Required<Timeouts>;
/** Retry policy with every field resolved. */
export type ResolvedRetry = {
  readonly [K in keyof RetryOptions]-?: Exclude<RetryOptions[K], undefined>;
};
