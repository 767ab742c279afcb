/**
 * Building undici dispatchers from the client's options: an `Agent` (keep-alive pools per
 * origin), a `ProxyAgent` when `proxy` is given, or an `EnvHttpProxyAgent` when the user
 * opted in to proxy environment variables with `trustEnv`; with HTTP/2 offered by ALPN,
 * a Unix socket, and undici's RFC 9111 cache interceptor when asked.
 */
import { createSecureContext, getCACertificates } from 'node:tls';
import {
  Agent,
  Client,
  cacheStores,
  type Dispatcher,
  EnvHttpProxyAgent,
  interceptors,
  Pool,
  ProxyAgent,
} from 'undici';
import type { ProxyOptions, TlsOptions } from './options.js';

/** What a dispatcher is built from. */
export interface DispatcherConfig {
  connectTimeout: number;
  tls: TlsOptions | undefined;
  proxy: ProxyOptions | false | undefined;
  trustEnv: boolean;
  connections: number;
  keepAliveTimeout: number;
  http2: boolean;
  socketPath: string | undefined;
  cache: boolean;
}

/**
 * What the client learns about one exchange below `dispatcher.request()`: passed as its
 * `opaque`, filled by {@link observeExchange} (only on dispatchers that have it composed).
 */
export interface Exchange {
  /** Of the last response from the network; `undefined` when the cache answered alone. */
  httpVersion: '1.1' | '2' | undefined;
  /** The status the network answered with, `undefined` when it was not asked at all. */
  networkStatus: number | undefined;
}

let insecureWarned = false;
/** Dispatchers with {@link observeExchange} composed in: requests through them carry an `opaque` {@link Exchange}. */
const observers = new WeakSet<Dispatcher>();
const observedUserDispatchers = new WeakMap<Dispatcher, Dispatcher>();

/** Does `dispatcher` fill in an {@link Exchange} passed as a request's `opaque`? */
export function observesExchange(dispatcher: Dispatcher): boolean {
  return observers.has(dispatcher);
}

/**
 * Your dispatcher with {@link observeExchange} composed on top (made once per dispatcher):
 * it is still yours that connects and sends; the wrapper only reads the response's
 * HTTP version and status.
 */
export function observing(dispatcher: Dispatcher): Dispatcher {
  let observed = observedUserDispatchers.get(dispatcher);
  if (observed === undefined) {
    observed = dispatcher.compose(observeExchange);
    observers.add(observed);
    observedUserDispatchers.set(dispatcher, observed);
  }
  return observed;
}

/** Creates the dispatcher for `config`; explicit `proxy` beats `trustEnv`. */
export function createDispatcher(config: DispatcherConfig): Dispatcher {
  const connect = connectOptions(config);
  const agentOptions: Agent.Options = {
    connect,
    keepAliveTimeout: config.keepAliveTimeout,
    ...(config.connections > 0 ? { connections: config.connections } : {}),
    // Explicit both ways: undici 8 offers h2 by ALPN unless told not to.
    allowH2: config.http2,
  };
  // Without HTTP/2 the Agent keeps allowH2 unset and its pools get `false`: an Agent that
  // has it false looks each request's pool up under a key built per request.
  const directOptions: Agent.Options = config.http2
    ? agentOptions
    : { ...agentOptions, allowH2: undefined, factory: http1Pool };
  // Through a proxy every request goes through a CONNECT tunnel, as the README says, also
  // for http:// targets (undici 8 forwards those in absolute form unless asked to tunnel).
  const proxyTunnel = true;
  const { proxy } = config;
  let dispatcher: Dispatcher;
  if (proxy !== undefined && proxy !== false) {
    const { url, token } = typeof proxy === 'string' ? { url: proxy, token: undefined } : proxy;
    dispatcher = new ProxyAgent({
      ...agentOptions,
      proxyTunnel,
      uri: url,
      ...(token === undefined ? {} : { token }),
      requestTls: connect as ProxyAgent.Options['requestTls'],
      proxyTls: { timeout: config.connectTimeout },
    });
  } else if (proxy === undefined && config.trustEnv) {
    dispatcher = new EnvHttpProxyAgent({ ...agentOptions, proxyTunnel });
  } else {
    dispatcher = new Agent(directOptions);
  }
  if (!config.http2 && !config.cache) return dispatcher;
  // compose() wraps in order, so observeExchange sits below the cache: it sees the network.
  const composed = config.cache
    ? dispatcher.compose(
        observeExchange,
        interceptors.cache({ store: new cacheStores.MemoryCacheStore(), type: 'private' }),
      )
    : dispatcher.compose(observeExchange);
  observers.add(composed);
  return composed;
}

/** undici's default pool factory, with HTTP/2 off. */
function http1Pool(origin: string | URL, options: object): Dispatcher {
  const http1 = { ...(options as Pool.Options), allowH2: false };
  return http1.connections === 1 ? new Client(origin, http1) : new Pool(origin, http1);
}

function connectOptions(config: DispatcherConfig): Agent.Options['connect'] {
  const { tls } = config;
  const out: Record<string, unknown> = { timeout: config.connectTimeout };
  if (config.socketPath !== undefined) out.socketPath = config.socketPath;
  if (tls === undefined) return out as Agent.Options['connect'];
  const { ca, systemCa, cert, key, ...rest } = tls;
  Object.assign(out, rest);
  if (rest.rejectUnauthorized === false && !insecureWarned) {
    insecureWarned = true;
    process.emitWarning(
      'TLS certificate verification is OFF (tls.rejectUnauthorized: false): any server can ' +
        'impersonate the one you asked for. Never use this in production; trust its CA with tls.ca instead.',
      { code: 'NET_HTTP_INSECURE', type: 'SecurityWarning' },
    );
  }
  if (ca === undefined) {
    Object.assign(out, cert === undefined ? {} : { cert }, key === undefined ? {} : { key });
    return out as Agent.Options['connect'];
  }
  // Node's `ca` replaces the default roots; next to them (the default) it needs the default
  // list too. One secure context per dispatcher, so the roots are parsed once, not per connection.
  const given = (Array.isArray(ca) ? ca : [ca]) as Array<string | Buffer>;
  out.secureContext = createSecureContext({
    ca: systemCa === false ? given : [...getCACertificates('default'), ...given],
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  });
  return out as Agent.Options['connect'];
}

/**
 * Records, in the request's `opaque` {@link Exchange}, the status and HTTP version of each
 * response from the network. Composed innermost, so a response the cache interceptor
 * answers by itself never passes here.
 */
const observeExchange: Dispatcher.DispatcherComposeInterceptor =
  (dispatch) => (options, handler) => {
    const exchange = (options as { opaque?: unknown }).opaque as Exchange | undefined;
    if (exchange === undefined) return dispatch(options, handler);
    return dispatch(options, new ExchangeObserver(handler, exchange));
  };

/** Passes every event on to `handler`, noting the response's status and HTTP version. */
class ExchangeObserver implements Dispatcher.DispatchHandler {
  constructor(
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly exchange: Exchange,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.handler.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>[2],
    socket: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>[3],
  ): void {
    this.handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>[2],
    statusMessage?: string,
  ): void {
    this.exchange.networkStatus = statusCode;
    // undici hands HTTP/1.1 raw headers as an array, HTTP/2's as node:http2's object.
    const raw = (controller as { rawHeaders?: unknown }).rawHeaders;
    this.exchange.httpVersion = Array.isArray(raw) ? '1.1' : '2';
    this.handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseEnd']>>[1],
  ): void {
    this.handler.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.handler.onResponseError?.(controller, error);
  }
}

/** A cache key for `config` (TLS material included, so equal settings share a pool). */
export function dispatcherKey(config: DispatcherConfig): string {
  return JSON.stringify(config);
}
