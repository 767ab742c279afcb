/**
 * {@link Session}: shared settings (base URL, headers, timeouts, retries, TLS, proxy, auth,
 * hooks, cookies) and keep-alive connections for many requests; the one place a request is
 * sent, authorized, redirected, retried and turned into a {@link Response}.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  checkBoolean,
  checkByteSize,
  checkCount,
  checkMs,
  checkSignal,
  createDeadline,
  type Deadline,
  withDefaults,
} from '@net/core';
import { type Cookie, CookieJar, getPublicSuffix, MemoryCookieStore } from 'tough-cookie';
import type { Dispatcher } from 'undici';
import { type Auth, acceptChallenge, applyAuth, checkAuth } from './auth.js';
import { encodeBody, hasBodyOption, NO_BODY } from './body.js';
import { decompressionFailure } from './decode.js';
import {
  createDispatcher,
  type DispatcherConfig,
  dispatcherKey,
  type Exchange,
  observesExchange,
  observing,
} from './dispatcher.js';
import {
  AbortedError,
  ClientClosedError,
  ConnectionError,
  ConnectTimeoutError,
  HttpError,
  IncompatibleOptionsError,
  InvalidOptionError,
  NetError,
  ReadTimeoutError,
  TlsError,
  TooManyRedirectsError,
  TotalTimeoutError,
} from './errors.js';
import { type HeaderRecord, mergeHeaders } from './headers.js';
import { type HookRequest, type ResolvedHooks, resolveHooks, runHook } from './hooks.js';
import {
  DEFAULT_OPTIONS,
  type Params,
  type RequestOptions,
  type ResolvedRetry,
  type ResolvedTimeouts,
  type SessionOptions,
  type Timeouts,
} from './options.js';
import { type PaginateOptions, paginatePages, resolveMaxPages } from './paginate.js';
import { openStream, readFull } from './read-body.js';
import { type Hop, isFollowable, nextHop } from './redirect.js';
import { Response } from './response.js';
import { isRetryableError, isStaleConnectionReset, resolveRetry, retryDelay } from './retry.js';
import { encodeParams, resolveTarget, type Target } from './url.js';

/** Methods that are safe to send twice (RFC 9110 idempotent methods). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const EXTRA_DISPATCHER_LIMIT = 16;
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;
/** Options that shape connections, so they need a dispatcher of the client's own making. */
const DISPATCHER_OPTIONS = ['tls', 'proxy', 'trustEnv', 'http2', 'socketPath', 'cache'] as const;
const VERSION_MEMORY_LIMIT = 256;

/** Options of the method shortcuts (`get`, `head`, ...): the same as {@link RequestOptions}. */
export type MethodOptions = RequestOptions;

/** Sessions whose cookies live for one call only (the top-level functions' shared session). */
const perCallCookies = new WeakSet<Session>();

/**
 * @internal Makes `session` keep cookies only across the redirects of each call, never from
 * one call to the next (the top-level functions' session, shared by unrelated callers).
 */
export function keepCookiesPerCall(session: Session): Session {
  perCallCookies.add(session);
  return session;
}

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
  /**
   * The session's cookie jar (tough-cookie's `CookieJar`): cookies the servers set are kept
   * and sent back by RFC 6265's rules. `undefined` with `cookies: false`.
   */
  readonly cookies: CookieJar | undefined;
  private readonly settings: SessionOptions;
  private readonly headers: HeaderRecord;
  private readonly headHeaders: HeaderRecord;
  private readonly timeouts: ResolvedTimeouts;
  private readonly retry: ResolvedRetry;
  private readonly maxRedirects: number;
  private readonly maxResponseSize: number;
  private readonly auth: Auth | undefined;
  private readonly hooks: ResolvedHooks;
  private readonly config: DispatcherConfig;
  private dispatcher: Dispatcher | undefined;
  private readonly extra = new Map<string, Dispatcher>();
  /** HTTP version last seen per origin, for responses the cache answers alone. */
  private readonly versions = new Map<string, '1.1' | '2'>();
  private closed = false;

  /**
   * Opens no connection yet. Throws `ERR_INVALID_ARGUMENT` for a bad option,
   * `ERR_INVALID_OPTION` for options that cannot go together, and {@link InvalidUrlError}
   * (`ERR_BAD_URL`, `ERR_MISSING_SCHEME`) for a bad `baseUrl`.
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
    checkAuth('auth', options.auth);
    this.auth = options.auth;
    this.hooks = resolveHooks(options.hooks);
    this.cookies = resolveJar(options.cookies);
    if (options.dispatcher !== undefined) refuseWithDispatcher(options, 'Session options');
    this.config = {
      connectTimeout: this.timeouts.connect,
      tls: options.tls,
      proxy: options.proxy,
      trustEnv: flag('trustEnv', options.trustEnv, DEFAULT_OPTIONS.trustEnv),
      connections: count('connections', options.connections, DEFAULT_OPTIONS.connections),
      keepAliveTimeout: ms(
        'keepAliveTimeout',
        options.keepAliveTimeout,
        DEFAULT_OPTIONS.keepAliveTimeout,
      ),
      http2: flag('http2', options.http2, DEFAULT_OPTIONS.http2),
      socketPath: socketPath(options.socketPath),
      cache: flag('cache', options.cache, DEFAULT_OPTIONS.cache),
    };
    this.dispatcher = options.dispatcher === undefined ? undefined : observing(options.dispatcher);
  }

  /** Sends a `GET`. */
  get(url: string | URL, options?: MethodOptions): Promise<Response> {
    return this.send('GET', url, options ?? {});
  }

  /** Sends a `HEAD` (redirects not followed unless `allowRedirects: true`; keep-alive kept). */
  head(url: string | URL, options?: MethodOptions): Promise<Response> {
    return this.send('HEAD', url, options ?? {});
  }

  /** Sends a `POST` (body from `json`, `form`, `data`, `multipart` or `files`). */
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
   * GETs `url` and then each page its `Link: <...>; rel="next"` header points to, one
   * request per step of the iteration (none ahead), at most `maxPages` (100) pages; a page
   * seen before ends it. `params` apply to the first page only (the next links carry theirs).
   *
   * @example
   * ```ts
   * for await (const page of session.paginate('/items', { maxPages: 10 })) items.push(...page.json<Item[]>());
   * ```
   */
  paginate(
    url: string | URL,
    options: MethodOptions & PaginateOptions = {},
  ): AsyncGenerator<Response, void, undefined> {
    const { maxPages, ...rest } = options;
    const limit = resolveMaxPages(maxPages);
    const { params: _firstPageOnly, ...later } = rest;
    let pages = 0;
    return paginatePages(
      typeof url === 'string' ? url : url.href,
      (page: string) => this.send('GET', page, pages++ === 0 ? rest : later),
      limit,
    );
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
    if (options.dispatcher !== undefined || this.settings.dispatcher !== undefined) {
      // Yours is used as it is, never swapped for one of ours behind your back.
      refuseWithDispatcher(options, 'request options');
      return options.dispatcher === undefined
        ? (this.dispatcher as Dispatcher)
        : observing(options.dispatcher);
    }
    if (
      options.tls === undefined &&
      options.proxy === undefined &&
      options.trustEnv === undefined &&
      options.http2 === undefined &&
      options.socketPath === undefined &&
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
      trustEnv: flag('trustEnv', options.trustEnv, this.config.trustEnv),
      http2: flag('http2', options.http2, this.config.http2),
      socketPath: socketPath(options.socketPath) ?? this.config.socketPath,
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
    if (options.auth !== undefined) checkAuth('auth', options.auth);
    const auth = options.auth ?? this.auth;
    const hooks =
      options.hooks === undefined ? this.hooks : resolveHooks(options.hooks, this.hooks);
    const body = hasBodyOption(options) ? await encodeBody(options) : NO_BODY;
    const dispatcher = this.dispatcherFor(options);
    const observed = observesExchange(dispatcher);

    const defaults = method === 'HEAD' ? this.headHeaders : this.headers;
    let headers = defaults;
    if (
      options.headers !== undefined ||
      body.contentType !== undefined ||
      body.contentLength !== undefined ||
      target.userinfo !== undefined
    ) {
      headers = mergeHeaders(defaults, options.headers);
      if (body.contentType !== undefined && headers['content-type'] === undefined) {
        headers['content-type'] = body.contentType;
      }
      if (body.contentLength !== undefined && headers['content-length'] === undefined) {
        headers['content-length'] = String(body.contentLength);
      }
      // An `auth` option beats credentials in the URL (as in requests).
      if (target.userinfo !== undefined && auth === undefined && !headers.authorization) {
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

    // The session's jar, or for the top-level functions one made when the first cookie comes.
    let jar = this.cookies;
    const callJar = perCallCookies.has(this);
    let history: Response[] | undefined; // made by the first redirect
    let hop: Hop = { method, target, headers, body, credentialsDropped: false };
    let attempt = 0;
    let staleRetried = false;
    let challengeAnswered = false;
    let response: Response | undefined;
    try {
      for (;;) {
        // The request as auth and hooks see it: made only when one of them (or a cookie)
        // needs to touch the headers, so a plain request sends the shared defaults as they are.
        let request: HookRequest | undefined;
        const useAuth = auth !== undefined && !hop.credentialsDropped;
        const cookie =
          jar === undefined || isEmptySessionJar(jar)
            ? ''
            : await jar.getCookieString(hop.target.href, {
                sameSiteContext: sameSiteContext(target, hop),
              });
        if (useAuth || cookie !== '' || hooks.beforeRequest.length > 0) {
          request = hookRequest(hop, { ...hop.headers }, options);
          if (cookie !== '') {
            const own = request.headers.cookie;
            request.headers.cookie = own ? `${own}; ${cookie}` : cookie;
          }
          const current = request;
          if (useAuth) await runHook('auth', () => applyAuth(auth, current));
          for (const hook of hooks.beforeRequest) {
            const early = await runHook('beforeRequest', () => hook(current));
            if (early instanceof Response) response = early;
            if (response !== undefined) break;
          }
          if (response !== undefined) break;
        }

        const sentAt = performance.now();
        const exchange: Exchange | undefined = observed
          ? { httpVersion: undefined, networkStatus: undefined }
          : undefined;
        let data: Dispatcher.ResponseData<Exchange | undefined>;
        try {
          data = await dispatcher.request({
            origin: hop.target.origin,
            path: hop.target.path,
            method: hop.method,
            headers: request?.headers ?? hop.headers,
            body: hop.body.open() as Dispatcher.DispatchOptions['body'],
            headersTimeout: timeouts.headers,
            bodyTimeout: timeouts.body,
            signal,
            opaque: exchange,
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
            await beforeRetry(hooks, hop, options, fail(error), attempt);
            continue;
          }
          throw error;
        }
        const elapsed = performance.now() - sentAt;
        const { statusCode, headers: raw } = data;
        const setCookie = raw['set-cookie'];
        if (setCookie !== undefined && (jar !== undefined || callJar)) {
          jar ??= new CookieJar();
          await storeCookies(jar, hop.target.href, setCookie, sameSiteContext(target, hop));
        }

        if (
          statusCode === 401 &&
          useAuth &&
          request !== undefined &&
          !challengeAnswered &&
          hop.body.replayable &&
          acceptChallenge(auth, request, statusCode, raw)
        ) {
          // Digest: the 401 carried the nonce; answer it once with the same request.
          challengeAnswered = true;
          await data.body.dump();
          continue;
        }

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
            if (hooks.beforeRetry.length > 0) {
              const retried = this.response(data, hop, elapsed, exchange, undefined, undefined);
              await beforeRetry(hooks, hop, options, new HttpError(retried), attempt);
            }
            continue;
          }
        }

        const location = raw.location;
        const next =
          allowRedirects && isFollowable(statusCode) && typeof location === 'string'
            ? nextHop(statusCode, location, hop)
            : undefined;
        let content: Uint8Array | undefined;
        let stream: ReturnType<typeof openStream> | undefined;
        if (options.stream && next === undefined) {
          streaming = true;
          stream = openStream(
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
          content = await readFull(
            data.body,
            hop.method,
            statusCode,
            raw,
            maxResponseSize,
            hop.target.href,
          );
        }
        const current = this.response(data, hop, elapsed, exchange, content, stream);
        if (next !== undefined) {
          history ??= [];
          if (history.length >= maxRedirects) {
            current.history = history;
            throw new TooManyRedirectsError(current, maxRedirects);
          }
          history.push(current);
          if (hooks.beforeRedirect.length > 0) {
            const nextRequest = hookRequest(next, { ...next.headers }, options);
            for (const hook of hooks.beforeRedirect) {
              await runHook('beforeRedirect', () => hook(nextRequest, current));
            }
            next.headers = nextRequest.headers;
          }
          hop = next;
          continue;
        }
        if (history !== undefined) current.history = history;
        response = current;
        break;
      }
      if (hooks.afterResponse.length > 0) {
        const request = hookRequest(hop, { ...hop.headers }, options);
        for (const hook of hooks.afterResponse) {
          const given: Response = response as Response;
          const replaced: unknown = await runHook('afterResponse', () => hook(given, request));
          if (replaced instanceof Response && replaced !== given) {
            given.body?.destroy();
            response = replaced;
          }
        }
      }
      return response as Response;
    } catch (error) {
      // A streamed body nobody will read (an afterResponse hook threw) must not hold its connection.
      response?.body?.destroy();
      throw fail(error);
    } finally {
      if (!streaming) dispose();
    }
  }

  /** A {@link Response} for what `dispatcher.request()` returned on `hop`. */
  private response(
    data: Dispatcher.ResponseData<Exchange | undefined>,
    hop: Hop,
    elapsed: number,
    exchange: Exchange | undefined,
    content: Uint8Array | undefined,
    body: ReturnType<typeof openStream> | undefined,
  ): Response {
    let httpVersion: '1.1' | '2' = '1.1';
    let fromCache = false;
    if (exchange !== undefined) {
      const { origin } = hop.target;
      if (exchange.httpVersion !== undefined) {
        httpVersion = exchange.httpVersion;
        if (this.versions.size >= VERSION_MEMORY_LIMIT) this.versions.clear();
        this.versions.set(origin, httpVersion);
      } else {
        httpVersion = this.versions.get(origin) ?? '1.1';
      }
      // Answered by the cache alone, or after the server confirmed it (304) for a request
      // that did not ask for a 304 itself.
      fromCache =
        exchange.networkStatus === undefined ||
        (exchange.networkStatus === 304 && data.statusCode !== 304);
    }
    return new Response({
      statusCode: data.statusCode,
      reason: data.statusText ?? '',
      headers: data.headers,
      url: hop.target.href,
      method: hop.method,
      elapsed,
      content,
      body,
      httpVersion,
      fromCache,
    });
  }
}

function hookRequest(hop: Hop, headers: HeaderRecord, options: RequestOptions): HookRequest {
  return { method: hop.method, url: hop.target.href, headers, options };
}

async function beforeRetry(
  hooks: ResolvedHooks,
  hop: Hop,
  options: RequestOptions,
  error: Error,
  retryCount: number,
): Promise<void> {
  const request = hookRequest(hop, { ...hop.headers }, options);
  for (const hook of hooks.beforeRetry) {
    await runHook('beforeRetry', () => hook({ request, error, retryCount }));
  }
}

/**
 * The memory store of a session's own jar: it knows whether it ever held a cookie (from a
 * response, or one you set through `session.cookies`), so that until then a request costs
 * no jar lookup.
 */
class SessionCookieStore extends MemoryCookieStore {
  holdsCookies = false;

  override putCookie(cookie: Cookie): Promise<void>;
  override putCookie(cookie: Cookie, callback: (error: Error | null) => void): void;
  override putCookie(
    cookie: Cookie,
    callback?: (error: Error | null) => void,
  ): Promise<void> | undefined {
    this.holdsCookies = true;
    if (callback === undefined) return super.putCookie(cookie);
    super.putCookie(cookie, callback);
    return undefined;
  }
}

function isEmptySessionJar(jar: CookieJar): boolean {
  return jar.store instanceof SessionCookieStore && !jar.store.holdsCookies;
}

/** The `cookies` option as a jar: `true`/`undefined` a new one, `false` none. */
function resolveJar(option: SessionOptions['cookies']): CookieJar | undefined {
  if (option === undefined || option === true) return new CookieJar(new SessionCookieStore());
  if (option === false) return undefined;
  if (option instanceof CookieJar) return option;
  throw new InvalidOptionError('cookies must be true, false or a tough-cookie CookieJar');
}

/** Stores each `Set-Cookie` of a response; one the jar rejects is skipped, as browsers do. */
async function storeCookies(
  jar: CookieJar,
  url: string,
  setCookie: string | string[],
  sameSiteContext: 'strict' | 'lax' | 'none',
): Promise<void> {
  for (const value of Array.isArray(setCookie) ? setCookie : [setCookie]) {
    await jar.setCookie(value, url, { ignoreError: true, sameSiteContext });
  }
}

/**
 * RFC 6265bis's same-site context of a request of a redirect chain started by the caller:
 * `strict` while the chain stays on the first request's site (scheme and registrable
 * domain), then `lax` for safe methods and `none` for others, as a browser's top-level
 * navigation would be.
 */
function sameSiteContext(first: Target, hop: Hop): 'strict' | 'lax' | 'none' {
  if (hop.target.origin === first.origin) return 'strict';
  if (siteOf(first.origin) === siteOf(hop.target.origin)) return 'strict';
  return hop.method === 'GET' || hop.method === 'HEAD' ? 'lax' : 'none';
}

function siteOf(origin: string): string {
  const { protocol, hostname } = new URL(origin);
  return `${protocol}//${getPublicSuffix(hostname, { ignoreError: true }) ?? hostname}`;
}

/** Throws `ERR_INVALID_OPTION` for options that would need a dispatcher other than yours. */
function refuseWithDispatcher(options: SessionOptions & RequestOptions, where: string): void {
  const conflicts: string[] = DISPATCHER_OPTIONS.filter(
    (name) => options[name] !== undefined && options[name] !== false,
  );
  if (options.timeout !== undefined && connectOf(options.timeout) !== undefined) {
    if (typeof options.timeout !== 'number') conflicts.push('timeout.connect');
  }
  if (conflicts.length === 0) return;
  throw new IncompatibleOptionsError(
    `${where}: ${conflicts.join(', ')} cannot be used with your own dispatcher, which is never ` +
      'replaced; set them on the dispatcher (e.g. new Agent({ connect: { ca, timeout }, allowH2: true })) ' +
      'or leave dispatcher out',
  );
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

/** A boolean option (`undefined` = `fallback`). */
function flag(name: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  checkBoolean(name, value);
  return value;
}

function socketPath(value: string | undefined): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    throw new InvalidOptionError('socketPath must be the path of a Unix domain socket');
  }
  return value;
}

/** Session params, then the request's: a key the request sets replaces the session's values. */
function mergeParams(a: Params | undefined, b: Params | undefined): Params | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const merged = new URLSearchParams(encodeParams(a));
  const own = new URLSearchParams(encodeParams(b));
  for (const key of new Set(own.keys())) merged.delete(key);
  for (const [key, value] of own) merged.append(key, value);
  return merged;
}
