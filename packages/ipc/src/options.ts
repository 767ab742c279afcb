/**
 * Options of `listen()` and `connect()`, with their defaults in one exported const so the
 * README and the code cannot disagree.
 */
import type { MultiprocessingDigest, SecretKey } from '@net/hmac-auth';
import { AuthkeyRequiredError, InvalidArgumentError } from './errors.js';

/** Defaults of every {@link ConnectionOptions} field. */
export const IPC_DEFAULTS = {
  /** Largest message accepted (announced length, checked before allocating) or sent: 64 MiB. */
  maxMessageSize: 64 * 1024 * 1024,
  /** Milliseconds for connecting plus the whole authentication handshake (`0` = none). */
  handshakeTimeout: 10_000,
  /** Default `timeout` of `recv()` / `recvBytes()` in ms (`0` = wait forever, like Python). */
  timeout: 0,
  /** `send()` / `sendBytes()` wait for `'drain'` once this many bytes are queued: 1 MiB. */
  writeHighWaterMark: 1024 * 1024,
  /** The handshake a listener sends: Python 3.12+'s `{sha256}` challenge (3.11 clients answer it too). */
  protocol: 'modern' as 'modern' | 'legacy',
  /** Digest of a modern challenge. */
  digest: 'sha256' as MultiprocessingDigest,
  /** Kernel queue of not-yet-accepted TCP connections (listeners). */
  backlog: 511,
} as const;

/** Options every connection has (a listener passes them to the connections it accepts). */
export interface ConnectionOptions {
  /** Largest message received or sent, in bytes. Default {@link IPC_DEFAULTS}.maxMessageSize. */
  maxMessageSize?: number;
  /** Default `timeout` of `recv()` / `recvBytes()`, ms; `0` = none. */
  timeout?: number;
  /** Bytes queued in the socket before `send()` waits for `'drain'`. */
  writeHighWaterMark?: number;
}

/** Authentication and endpoint options shared by `listen()` and `connect()`. */
export interface EndpointOptions extends ConnectionOptions {
  /** TCP host (`listen`: the interface to bind; `connect`: the peer). */
  host?: string;
  /** TCP port (`0` with `listen` picks a free one). */
  port?: number;
  /** A Unix domain socket path instead of host/port. */
  path?: string;
  /**
   * The shared secret (Python's `authkey`): bytes, a UTF-8 string or a secret `KeyObject`.
   * Required for TCP; pass `null` to run TCP without authentication on purpose. Optional for
   * Unix sockets, which are protected by file permissions.
   */
  authkey?: SecretKey | null;
  /** Milliseconds for connecting plus the handshake; `0` = none. */
  handshakeTimeout?: number;
  /** Digests accepted from the peer (Python 3.12's list by default; drop `'md5'` to refuse Python ≤ 3.11). */
  acceptDigests?: readonly MultiprocessingDigest[];
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
  checkLimits(options);
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

function checkLimits(options: EndpointOptions): void {
  const counts = ['maxMessageSize', 'writeHighWaterMark'] as const;
  for (const name of counts) {
    const value = options[name];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${value}`);
    }
  }
  for (const name of ['timeout', 'handshakeTimeout'] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new InvalidArgumentError(`${name} must be a number of ms >= 0, got ${value}`);
    }
  }
}
