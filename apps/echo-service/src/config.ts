/** The settings of `serve`, with their defaults in one place. */
import type { MultiprocessingDigest } from '@net/hmac-auth';
import type { LogFormat } from './log.js';

/** The HMAC digests `--ipc-digests` may name (Python's `multiprocessing.connection` set). */
export const IPC_DIGESTS: readonly MultiprocessingDigest[] = [
  'sha256',
  'sha384',
  'sha3_256',
  'sha3_384',
  'md5',
];

/** Names of the endpoints, in the order of the ready line. */
export const ENDPOINTS = ['tcp', 'tls', 'udp', 'time', 'http', 'bulk', 'ipc'] as const;
/** One endpoint's name. */
export type Endpoint = (typeof ENDPOINTS)[number];
/** A port per endpoint. */
export type Ports = Record<Endpoint, number>;

/** Default ports: 7000..7006 in endpoint order (0 picks a free port). */
export const DEFAULT_PORTS: Ports = {
  tcp: 7000,
  tls: 7001,
  udp: 7002,
  time: 7003,
  http: 7004,
  bulk: 7005,
  ipc: 7006,
};

/** Everything `serve` needs besides the secret and certificates. */
export interface ServiceConfig {
  host: string;
  ports: Ports;
  /** TCP worker processes (0 = serve TCP in this process). */
  workers: number;
  stateDir: string;
  clientCa?: string | undefined;
  /**
   * PEM files of a given server certificate (chain) and its key for the tls endpoint,
   * instead of generating dev certificates; both or neither.
   */
  cert?: string | undefined;
  key?: string | undefined;
  /**
   * PEM of the CA clients should trust, reported as the ready line's `caCert` (with
   * `cert`; default: the `cert` file itself).
   */
  caCert?: string | undefined;
  /** ms a TCP client has to answer the HMAC challenge. */
  authTimeout: number;
  /** ms without traffic after which a tcp/tls/bulk/ipc/http connection is closed. */
  idleTimeout: number;
  /** ms a TLS client has to finish its handshake, an ipc peer its authentication, a bulk client its first header. */
  handshakeTimeout: number;
  /** Largest POST /echo body, bytes (413 beyond). */
  maxBodyBytes: number;
  /** Largest bulk array body, bytes. */
  maxBulkBytes: number;
  /**
   * Bytes of bulk arrays admitted at once over all bulk connections (an array holds its
   * share until it is echoed and checksummed); default `2 × maxBulkBytes`.
   */
  bulkMemory?: number | undefined;
  /** Largest ipc message, bytes. */
  maxIpcMessage: number;
  /**
   * Most connections open at once per stream endpoint (tcp, tls, bulk, ipc), counted from
   * accept; with `workers`, tcp's limit is service-wide (the primary and every worker).
   */
  maxConnections: number;
  /**
   * Names besides the bound address and `localhost` that a request's `Host` may carry
   * (`--allowed-host`, repeatable); any other gets 421.
   */
  allowedHosts: string[];
  /**
   * HMAC digests the ipc endpoint accepts (`--ipc-digests`); the default keeps `md5` for
   * Python ≤ 3.11 clients, `['sha256']` refuses them.
   */
  ipcDigests: MultiprocessingDigest[];
  /** Event-loop p99 delay (ms) above which new tcp/bulk connections and HTTP requests are refused; 0 = never shed. */
  shedDelayMs: number;
  /** ms that close() waits for connections before destroying them. */
  closeTimeout: number;
}

/** Defaults of {@link ServiceConfig}. */
export const SERVICE_DEFAULTS: ServiceConfig = {
  host: '127.0.0.1',
  ports: DEFAULT_PORTS,
  workers: 0,
  stateDir: '.net-echo',
  clientCa: undefined,
  cert: undefined,
  key: undefined,
  caCert: undefined,
  authTimeout: 10_000,
  idleTimeout: 60_000,
  handshakeTimeout: 10_000,
  maxBodyBytes: 1_048_576,
  maxBulkBytes: 1_073_741_824,
  bulkMemory: undefined,
  maxIpcMessage: 67_108_864,
  maxConnections: 1_000,
  allowedHosts: [],
  ipcDigests: ['sha256', 'md5'],
  shedDelayMs: 1_000,
  closeTimeout: 3_000,
};

/** What the primary passes to each tcp worker (over the IPC channel: `@net/ipc` `workerData`). */
export interface WorkerSettings {
  keyHex: string;
  logFormat: LogFormat;
  authTimeout: number;
  idleTimeout: number;
  maxConnections: number;
}
