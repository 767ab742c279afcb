/**
 * Building undici dispatchers from the client's options: an `Agent` (keep-alive pools per
 * origin), a `ProxyAgent` when `proxy` is given, or an `EnvHttpProxyAgent` when the user
 * opted in to proxy environment variables with `trustEnv`.
 */
import { Agent, type Dispatcher, EnvHttpProxyAgent, ProxyAgent } from 'undici';
import type { ProxyOptions, TlsOptions } from './options.js';

/** What a dispatcher is built from. */
export interface DispatcherConfig {
  connectTimeout: number;
  tls: TlsOptions | undefined;
  proxy: ProxyOptions | false | undefined;
  trustEnv: boolean;
  connections: number;
  keepAliveTimeout: number;
}

/** Creates the dispatcher for `config`; explicit `proxy` beats `trustEnv`. */
export function createDispatcher(config: DispatcherConfig): Dispatcher {
  const connect = { ...config.tls, timeout: config.connectTimeout } as Agent.Options['connect'];
  const agentOptions: Agent.Options = {
    connect,
    keepAliveTimeout: config.keepAliveTimeout,
    ...(config.connections > 0 ? { connections: config.connections } : {}),
  };
  // Through a proxy every request goes through a CONNECT tunnel, as the README says, also
  // for http:// targets (undici 8 forwards those in absolute form unless asked to tunnel).
  const proxyTunnel = true;
  const { proxy } = config;
  if (proxy !== undefined && proxy !== false) {
    const { url, token } = typeof proxy === 'string' ? { url: proxy, token: undefined } : proxy;
    return new ProxyAgent({
      ...agentOptions,
      proxyTunnel,
      uri: url,
      ...(token === undefined ? {} : { token }),
      requestTls: connect as ProxyAgent.Options['requestTls'],
      proxyTls: { timeout: config.connectTimeout },
    });
  }
  if (proxy === undefined && config.trustEnv) {
    return new EnvHttpProxyAgent({ ...agentOptions, proxyTunnel });
  }
  return new Agent(agentOptions);
}

/** A cache key for `config` (TLS material included, so equal settings share a pool). */
export function dispatcherKey(config: DispatcherConfig): string {
  return JSON.stringify(config);
}
