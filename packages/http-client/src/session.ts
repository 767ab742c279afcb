/**
 * {@link Session}: shared settings (base URL, headers, timeouts, retries, TLS, proxy) and
 * keep-alive connections for many requests; the one place a request is sent, redirected,
 * retried and turned into a {@link Response}.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  checkByteSize,
  checkCount,
  checkMs,
  checkSignal,
  createDeadline,
  type Deadline,
  withDefaults,
} from '@net/core';
import type { Dispatcher } from 'undici';
import { encodeBody } from './body.js';
import { decompressionFailure } from './decode.js';
import { createDispatcher, type DispatcherConfig, dispatcherKey } from './dispatcher.js';
import {
  AbortedError,
  ClientClosedError,
  ConnectionError,
  ConnectTimeoutError,
  InvalidOptionError,
  NetError,
  ReadTimeoutError,
  TlsError,
  TooManyRedirectsError,
  TotalTimeoutError,
} from './errors.js';
import { type HeaderRecord, mergeHeaders } from './headers.js';
import {
  DEFAULT_OPTIONS,
  type Params,
  type RequestOptions,
  type ResolvedRetry,
  type ResolvedTimeouts,
  type SessionOptions,
  type Timeouts,
} from './options.js';
import { openStream, readFull } from './read-body.js';
import { type Hop, isFollowable, nextHop } from './redirect.js';
import { Response } from './response.js';
import { isRetryableError, isStaleConnectionReset, resolveRetry, retryDelay } from './retry.js';
import { encodeParams, resolveTarget } from './url.js';

/** Methods that are safe to send twice (RFC 9110 idempotent methods). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const EXTRA_DISPATCHER_LIMIT = 16;
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

/** Options of the method shortcuts (`get`, `head`, ...): the same as {@link RequestOptions}. */
export type MethodOptions = RequestOptions;

/**
 * A set of defaults and a pool of keep-alive connections shared by many requests.
 *
 * @example
 * ```ts
 * const s = new Session({ baseUrl: 'http://127.0.0.1:8080', headers: { 'user-agent': 'x' }, retries: 2 });
 * const items = (await s.get('/items')).json();
 * await s.post('/items', { json: { a: 1 } });
 * await s.close();
 * ```
 */
export class Session {
  /** Base URL that relative request URLs are appended to. */
  readonly baseUrl: string | undefined;
  private readonly settings: SessionOptions;
  private readonly headers: HeaderRecord;
  private readonly headHeaders: HeaderRecord;
  private readonly timeouts: ResolvedTimeouts;
  private readonly retry: ResolvedRetry;
  private readonly maxRedirects: number;
  private readonly maxResponseSize: number;
  private readonly config: DispatcherConfig;
  private dispatcher: Dispatcher | undefined;
  private readonly extra = new Map<string, Dispatcher>();
  private closed = false;

  /**
   * Opens no connection yet. Throws `ERR_INVALID_ARGUMENT` for a bad option, and
   * {@link InvalidUrlError} (`ERR_BAD_URL`, `ERR_MISSING_SCHEME`) for a bad `baseUrl`.
   */
  constructor(options: SessionOptions = {}) {
    // Options set to undefined are dropped, so every `??` below falls back to the default.
    options = withDefaults({}, options, 'Session options') as SessionOptions;
    this.settings = options;
    this.baseUrl = options.baseUrl;
    if (options.baseUrl !== undefined) resolveTarget(options.baseUrl); // fail early if invalid
    this.headers = mergeHeaders(DEFAULT_OPTIONS.headers, options.headers);
    // HEAD asks for the identity representation (no Accept-Encoding unless the caller sets
    // one), so Content-Length is the size of the resource, as `curl -I` reports it.
    const { 'user-agent': userAgent, accept } = DEFAULT_OPTIONS.headers;
    this.headHeaders = mergeHeaders({ 'user-agent': userAgent, accept }, options.headers);
    this.timeouts = resolveTimeouts(options.timeout, DEFAULT_OPTIONS.timeout);
    this.retry = resolveRetry(options.retries);
    this.maxRedirects = count('maxRedirects', options.maxRedirects, DEFAULT_OPTIONS.maxRedirects);
    this.maxResponseSize = byteSize(
      'maxResponseSize',
      options.maxResponseSize,
      DEFAULT_OPTIONS.maxResponseSize,
    );
    this.config = {
      connectTimeout: this.timeouts.connect,
      tls: options.tls,
      proxy: options.proxy,
      trustEnv: options.trustEnv ?? DEFAULT_OPTIONS.trustEnv,
      connections: count('connections', options.connections, DEFAULT_OPTIONS.connections),
      keepAliveTimeout: ms(
        'keepAliveTimeout',
        options.keepAliveTimeout,
        DEFAULT_OPTIONS.keepAliveTimeout,
      ),
    };
    this.dispatcher = options.dispatcher;
  }

  /** Sends a `GET`. */
  get(url: string | URL, options?: MethodOptions): Promise<Response> {
    return this.send('GET', url, options ?? {});
  }

  /** Sends a `HEAD` (redirects not followed unless `allowRedirects: true`; keep-alive kept). */
  head(url: string | URL, options?: MethodOptions): Promise<Response> {
    return this.send('HEAD', url, options ?? {});
  }

  /** Sends a `POST` (body from `json`, `form`, `data` or `multipart`). */
  post(url: string | URL, options?: MethodOptions): Promise<Response> {
    return this.send('POST', url, options ?? {});
  }

  /** Sends a `PUT`. */
  put(url: string | URL, options?: MethodOptions): Promise<Response> {
    return this.send('PUT', url, options ?? {});
  }

  /** Sends a `PATCH`. */
  patch(url: string | URL, options?: MethodOptions): Promise<Response> {
    return this.send('PATCH', url, options ?? {});
  }

  /** Sends a `DELETE`. */
  delete(url: string | URL, options?: MethodOptions): Promise<Response> {
    return this.send('DELETE', url, options ?? {});
  }

  /** Sends an `OPTIONS`. */
  options(url: string | URL, options?: MethodOptions): Promise<Response> {
    return this.send('OPTIONS', url, options ?? {});
  }

  /** Sends a request with any method (upper-cased). */
  request(method: string, url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.send(method.toUpperCase(), url, options ?? {});
  }

  /**
   * Closes the connections this session opened (waiting for requests in flight) and
   * rejects later requests with `ERR_CLIENT_CLOSED`. A `dispatcher` you passed is left open.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const owned = [...this.extra.values()];
    if (this.dispatcher !== undefined && this.settings.dispatcher === undefined) {
      owned.push(this.dispatcher);
    }
    this.extra.clear();
    await Promise.all(owned.map((dispatcher) => dispatcher.close()));
  }

  private dispatcherFor(options: RequestOptions): Dispatcher {
    if (options.dispatcher !== undefined) return options.dispatcher;
    if (
      options.tls === undefined &&
      options.proxy === undefined &&
      options.trustEnv === undefined &&
      (options.timeout === undefined || connectOf(options.timeout) === undefined)
    ) {
      this.dispatcher ??= createDispatcher(this.config);
      return this.dispatcher;
    }
    const config: DispatcherConfig = {
      ...this.config,
      connectTimeout: connectOf(options.timeout) ?? this.config.connectTimeout,
      tls: options.tls ?? this.config.tls,
      proxy: options.proxy ?? this.config.proxy,
      trustEnv: options.trustEnv ?? this.config.trustEnv,
    };
    const key = dispatcherKey(config);
    let dispatcher = this.extra.get(key);
    if (dispatcher === undefined) {
      if (this.extra.size >= EXTRA_DISPATCHER_LIMIT) {
        const [oldestKey, oldest] = this.extra.entries().next().value as [string, Dispatcher];
        this.extra.delete(oldestKey);
        oldest.close().catch(() => undefined);
      }
      dispatcher = createDispatcher(config);
      this.extra.set(key, dispatcher);
    }
    return dispatcher;
  }

  private async send(
    method: string,
    url: string | URL,
    options: RequestOptions,
  ): Promise<Response> {
    if (this.closed) throw new ClientClosedError();
    checkSignal('signal', options.signal);
    const target = resolveTarget(
      url,
      this.baseUrl,
      mergeParams(this.settings.params, options.params),
    );
    const timeouts =
      options.timeout === undefined
        ? this.timeouts
        : resolveTimeouts(options.timeout, this.timeouts);
    const retry = options.retries === undefined ? this.retry : resolveRetry(options.retries);
    const maxRedirects = count('maxRedirects', options.maxRedirects, this.maxRedirects);
    const maxResponseSize = byteSize(
      'maxResponseSize',
      options.maxResponseSize,
      this.maxResponseSize,
    );
    const allowRedirects =
      options.allowRedirects ?? this.settings.allowRedirects ?? method !== 'HEAD';
    const body = encodeBody(options);
    const dispatcher = this.dispatcherFor(options);

    const defaults = method === 'HEAD' ? this.headHeaders : this.headers;
    let headers = defaults;
    if (options.headers !== undefined || body.contentType !== undefined || target.userinfo) {
      headers = mergeHeaders(defaults, options.headers);
      if (body.contentType !== undefined && headers['content-type'] === undefined) {
        headers['content-type'] = body.contentType;
      }
      if (target.userinfo !== undefined && headers.authorization === undefined) {
        headers.authorization = `Basic ${Buffer.from(target.userinfo).toString('base64')}`;
      }
    }

    // timeout.total and the caller's signal joined into one signal by core's deadline; only
    // made when there is a total timeout, so a plain request costs no timer or controller.
    const deadline: Deadline | undefined =
      timeouts.total > 0
        ? createDeadline({
            timeout: timeouts.total,
            signal: options.signal,
            timeoutError: (total) => new TotalTimeoutError(target.href, total),
          })
        : undefined;
    const signal = deadline?.signal ?? options.signal;
    const dispose = () => deadline?.dispose();
    let streaming = false;
    const fail = (error: unknown) => mapError(error, hop.target.href, timeouts, signal);

    const history: Response[] = [];
    let hop: Hop = { method, target, headers, body };
    let attempt = 0;
    let staleRetried = false;
    try {
      for (;;) {
        const sentAt = performance.now();
        let data: Dispatcher.ResponseData;
        try {
          data = await dispatcher.request({
            origin: hop.target.origin,
            path: hop.target.path,
            method: hop.method,
            headers: hop.headers,
            body: hop.body.body as Dispatcher.DispatchOptions['body'],
            headersTimeout: timeouts.headers,
            bodyTimeout: timeouts.body,
            signal,
            // undici closes the connection after HEAD by default; keep it alive.
            ...(hop.method === 'HEAD' ? { reset: false } : undefined),
          });
        } catch (error) {
          if (signal?.aborted || !hop.body.replayable) throw error;
          if (!staleRetried && IDEMPOTENT.has(hop.method) && isStaleConnectionReset(error)) {
            staleRetried = true;
            continue;
          }
          if (
            attempt < retry.total &&
            retry.methods.includes(hop.method) &&
            isRetryableError(error)
          ) {
            attempt++;
            await sleep(retryDelay(retry, attempt), undefined, signal ? { signal } : undefined);
            continue;
          }
          throw error;
        }
        const elapsed = performance.now() - sentAt;
        const { statusCode, headers: raw } = data;

        if (
          attempt < retry.total &&
          retry.statusCodes.includes(statusCode) &&
          retry.methods.includes(hop.method) &&
          hop.body.replayable
        ) {
          const delay = retryDelay(retry, attempt + 1, raw);
          if (delay !== undefined) {
            await data.body.dump();
            attempt++;
            await sleep(delay, undefined, signal ? { signal } : undefined);
            continue;
          }
        }

        const location = raw.location;
        const next =
          allowRedirects && isFollowable(statusCode) && typeof location === 'string'
            ? nextHop(statusCode, location, hop)
            : undefined;
        const init = {
          statusCode,
          reason: data.statusText ?? '',
          headers: raw,
          url: hop.target.href,
          method: hop.method,
          elapsed,
          content: undefined as Uint8Array | undefined,
          body: undefined as ReturnType<typeof openStream> | undefined,
        };
        if (options.stream && next === undefined) {
          streaming = true;
          init.body = openStream(
            data.body,
            hop.method,
            statusCode,
            raw,
            hop.target.href,
            options.onDownloadProgress,
            fail,
            dispose,
          );
        } else {
          init.content = await readFull(
            data.body,
            hop.method,
            statusCode,
            raw,
            maxResponseSize,
            hop.target.href,
          );
        }
        const response = new Response(init);
        if (next !== undefined) {
          if (history.length >= maxRedirects) {
            response.history = history;
            throw new TooManyRedirectsError(response, maxRedirects);
          }
          history.push(response);
          hop = next;
          continue;
        }
        if (history.length > 0) response.history = history;
        return response;
      }
    } catch (error) {
      throw fail(error);
    } finally {
      if (!streaming) dispose();
    }
  }
}

/** Turns undici's and Node's errors into this package's typed errors. */
function mapError(
  error: unknown,
  url: string,
  timeouts: ResolvedTimeouts,
  signal: AbortSignal | undefined,
): Error {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof TotalTimeoutError ? reason : new AbortedError(url, reason);
  }
  // Node's ERR_INVALID_ARG_* are inputs here (undici passing on a bad request option), mapped
  // to our ERR_INVALID_ARGUMENT below; they are never thrown as they are.
  if (error instanceof NetError) return error;
  const decodeError = decompressionFailure(error);
  if (decodeError !== undefined) return decodeError;
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new ConnectTimeoutError(url, timeouts.connect, error);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new ReadTimeoutError(url, 'headers', timeouts.headers, error);
    case 'UND_ERR_BODY_TIMEOUT':
      return new ReadTimeoutError(url, 'body', timeouts.body, error);
    case 'UND_ERR_INVALID_ARG':
    case 'ERR_INVALID_ARG_TYPE':
    case 'ERR_INVALID_ARG_VALUE':
      return new InvalidOptionError(`Invalid request: ${(error as Error).message}`);
    default:
      if (typeof code === 'string' && TLS_CODE.test(code)) return new TlsError(url, error);
      return new ConnectionError(url, error);
  }
}

function resolveTimeouts(
  option: number | Timeouts | undefined,
  base: ResolvedTimeouts,
): ResolvedTimeouts {
  if (option === undefined) return base;
  const given: Timeouts =
    typeof option === 'number' ? { connect: option, headers: option, body: option } : option;
  const out = { ...base };
  for (const key of ['connect', 'headers', 'body', 'total'] as const) {
    out[key] = ms(`timeout.${key}`, given[key], base[key]);
  }
  return out;
}

function connectOf(option: number | Timeouts | undefined): number | undefined {
  return typeof option === 'number' ? option : option?.connect;
}

/** A timer option: `undefined` = `fallback`; otherwise checked by core (0 to 2^31-1 ms). */
function ms(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  checkMs(name, value);
  return value;
}

/** A count option (`undefined` = `fallback`): a whole number >= 0. */
function count(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  checkCount(name, value);
  return value;
}

/** A size option in bytes (`undefined` = `fallback`): a whole number >= 0. */
function byteSize(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  checkByteSize(name, value);
  return value;
}

function mergeParams(a: Params | undefined, b: Params | undefined): Params | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return new URLSearchParams(`${encodeParams(a)}&${encodeParams(b)}`);
}
