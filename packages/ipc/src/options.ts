/**
 * Options of every connection and endpoint, with their defaults in one exported const so
 * the README and the code cannot disagree.
 */
import { checkByteSize, checkMs, InvalidArgumentError, withDefaults } from '@net/core';
import { CHALLENGE_DEFAULTS, type MultiprocessingDigest, type SecretKey } from '@net/hmac-auth';
import { AuthkeyRequiredError } from './errors.js';
import {
  PICKLE_DEFAULTS,
  type PickleOptions,
  type ResolvedPickleOptions,
  resolvePickleOptions,
} from './pickle/values.js';
import type { IpcServerOptions } from './server.js';

/** Defaults of every {@link ConnectionOptions} and {@link EndpointOptions} field. */
export const IPC_DEFAULTS = {
  /** Largest message accepted (announced length, checked before allocating) or sent: 64 MiB. */
  maxMessageSize: 64 * 1024 * 1024,
  /** Ms for connecting plus the whole authentication handshake (`0` = none). */
  handshakeTimeout: 10_000,
  /** Default `timeout` of `recv()` / `recvBytes()` in ms (`0` = wait forever, like Python). */
  timeout: 0,
  /** `send()` / `sendBytes()` wait for `'drain'` once this many bytes are queued: 1 MiB. */
  writeHighWaterMark: 1024 * 1024,
  /**
   * Ms a send may wait for `'drain'` while the peer takes none of the queued bytes (5
   * minutes); past it the send fails with `ERR_TIMEOUT` and the connection is destroyed.
   * `0` = wait forever (Python's behaviour).
   */
  sendTimeout: 300_000,
  /** The handshake a listener sends: Python 3.12+'s `{sha256}` challenge (3.11 clients answer it too). */
  protocol: 'modern' as 'modern' | 'legacy',
  /** Digest of a modern challenge. */
  digest: 'sha256' as MultiprocessingDigest,
  /** Kernel queue of not-yet-accepted TCP connections (listeners). */
  backlog: 511,
  /** Digests accepted from the peer: Python 3.12's list, `md5` included for ≤ 3.11 peers. */
  acceptDigests: CHALLENGE_DEFAULTS.acceptDigests,
  /** What `send()` / `recv()` speak: V8 serialization, for Node peers. */
  codec: 'v8' as 'v8' | 'pickle',
  /** The pickle codec's options ({@link PICKLE_DEFAULTS}). */
  pickle: PICKLE_DEFAULTS,
} as const satisfies Required<
  // Every option of every endpoint has its default here, except where to go and the key.
  Omit<EndpointOptions, 'host' | 'port' | 'path' | 'authkey'> &
    Pick<IpcServerOptions, 'protocol' | 'digest' | 'backlog'>
>;

/** Options every connection has (a server passes them to the connections it accepts). */
export interface ConnectionOptions {
  /** Largest message received or sent, in bytes. Default {@link IPC_DEFAULTS}.maxMessageSize. */
  maxMessageSize?: number | undefined;
  /** Default `timeout` of `recv()` / `recvBytes()`, ms; `0` = none. */
  timeout?: number | undefined;
  /** Bytes queued in the socket before `send()` waits for `'drain'`. */
  writeHighWaterMark?: number | undefined;
  /**
   * Ms a `send()` / `sendBytes()` may wait for `'drain'` while the peer takes none of the
   * queued bytes (a peer that reads slowly keeps it alive); past it the send rejects with
   * `ERR_TIMEOUT` (`SendTimeoutError`) and the connection is destroyed. `0` = none.
   */
  sendTimeout?: number | undefined;
  /**
   * What `send()` / `recv()` speak: `'v8'` (V8 serialization: Map, Date, typed arrays...,
   * Node peers only) or `'pickle'` (Python's `conn.send(obj)` / `conn.recv()`: data types
   * only, nothing that imports or calls). `sendBytes()` / `recvBytes()` are the same with both.
   */
  codec?: 'v8' | 'pickle' | undefined;
  /** Options of the pickle codec: how dicts decode, and its limits. */
  pickle?: PickleOptions | undefined;
}

/** Connection options after defaults. */
export interface ResolvedConnectionOptions {
  maxMessageSize: number;
  timeout: number;
  writeHighWaterMark: number;
  sendTimeout: number;
  codec: 'v8' | 'pickle';
  pickle: ResolvedPickleOptions;
}

/** Applies the defaults (`undefined` = the default) and checks the values. */
export function resolveConnectionOptions(
  options: ConnectionOptions | undefined,
): ResolvedConnectionOptions {
  const merged = withDefaults(IPC_DEFAULTS, options);
  checkByteSize('maxMessageSize', merged.maxMessageSize);
  checkMs('timeout', merged.timeout);
  checkByteSize('writeHighWaterMark', merged.writeHighWaterMark);
  checkMs('sendTimeout', merged.sendTimeout);
  if (merged.codec !== 'v8' && merged.codec !== 'pickle') {
    throw new InvalidArgumentError(
      `codec must be 'v8' or 'pickle', got ${JSON.stringify(merged.codec)}`,
    );
  }
  return {
    maxMessageSize: merged.maxMessageSize,
    timeout: merged.timeout,
    writeHighWaterMark: merged.writeHighWaterMark,
    sendTimeout: merged.sendTimeout,
    codec: merged.codec,
    pickle: resolvePickleOptions(merged.pickle),
  };
}

/** Authentication and endpoint options shared by `listen()`, `createIpcServer()` and `connect()`. */
export interface EndpointOptions extends ConnectionOptions {
  /** TCP host (servers: the interface to bind; `connect`: the peer). */
  host?: string | undefined;
  /** TCP port (`0` with a server picks a free one). */
  port?: number | undefined;
  /** A Unix domain socket path instead of host/port. */
  path?: string | undefined;
  /**
   * The shared secret (Python's `authkey`): bytes, a UTF-8 string or a secret `KeyObject`.
   * Required for TCP; pass `null` to run TCP without authentication on purpose. Optional for
   * Unix sockets, which are protected by file permissions.
   */
  authkey?: SecretKey | null | undefined;
  /** Ms for connecting plus the handshake (servers: from accept); `0` = none. */
  handshakeTimeout?: number | undefined;
  /** Digests accepted from the peer (Python 3.12's list by default; drop `'md5'` to refuse Python ≤ 3.11). */
  acceptDigests?: readonly MultiprocessingDigest[] | undefined;
}

/** Resolved endpoint: where to go and which key (or none) to use. */
export interface Endpoint {
  tcp: { host: string | undefined; port: number } | undefined;
  path: string | undefined;
  authkey: SecretKey | undefined;
  label: string;
}

export function resolveEndpoint(options: EndpointOptions, defaultHost?: string): Endpoint {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('Expected an options object with { host, port } or { path }');
  }
  const { path, port, authkey } = options;
  resolveConnectionOptions(options);
  if (options.handshakeTimeout !== undefined) checkMs('handshakeTimeout', options.handshakeTimeout);
  if (path !== undefined) {
    if (typeof path !== 'string' || path.length === 0 || port !== undefined) {
      throw new InvalidArgumentError('Pass either { path } (a non-empty string) or { host, port }');
    }
    return { tcp: undefined, path, authkey: authkey ?? undefined, label: path };
  }
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535) {
    throw new InvalidArgumentError(`port must be an integer from 0 to 65535, got ${port}`);
  }
  if (authkey === undefined) throw new AuthkeyRequiredError();
  const host = options.host ?? defaultHost;
  return {
    tcp: { host, port: port as number },
    path: undefined,
    authkey: authkey ?? undefined,
    label: `${host ?? '*'}:${port}`,
  };
}
