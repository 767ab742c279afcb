/**
 * `--workers N`: the tcp endpoint as a primary that accepts connections and passes them to
 * N worker processes (`@net/ipc` `spawnWorkers`, recipe 11.11). Workers that die are
 * replaced; `/stats` shows the split per worker pid and the restarts.
 */
import { type WorkerPool as ProcessPool, spawnWorkers } from '@net/ipc';
import type { WorkerSettings } from './config.js';
import type { Logger } from './log.js';
import { withoutSecret } from './secret.js';
import type { EndpointCounters } from './stats.js';

/** Options of {@link startTcpPool}. */
export interface StartTcpPoolOptions {
  host: string;
  port: number;
  workers: number;
  key: Uint8Array;
  authTimeout: number;
  idleTimeout: number;
  /** Connections open at once across the primary and every worker. */
  maxConnections: number;
  /** ms an accepted socket may wait for a ready worker (at most `maxConnections` wait). */
  waitTimeout: number;
  closeTimeout: number;
  /** The workers log in its format too. */
  logger: Logger;
}

/** The tcp endpoint served by worker processes. */
export interface TcpPoolEndpoint {
  port: number;
  pool: ProcessPool;
  /**
   * The endpoint's /stats figures, from the pool's `stats()`: connections across the
   * service (the workers count their own traffic, shown per worker under `detail`).
   */
  counters(): EndpointCounters;
  close(): Promise<void>;
}

/** Starts N tcp workers behind a primary listening on `host:port`. */
export async function startTcpPool(options: StartTcpPoolOptions): Promise<TcpPoolEndpoint> {
  const settings: WorkerSettings = {
    keyHex: Buffer.from(options.key).toString('hex'),
    authTimeout: options.authTimeout,
    idleTimeout: options.idleTimeout,
    maxConnections: options.maxConnections,
    logFormat: options.logger.format,
  };
  const pool = await spawnWorkers({
    module: new URL('./tcp-worker.js', import.meta.url),
    count: options.workers,
    host: options.host,
    port: options.port,
    // The secret goes over the IPC channel (workerData), never through the environment,
    // which /proc shows to the user's other processes and every child inherits.
    env: withoutSecret(process.env),
    workerData: settings,
    closeTimeout: options.closeTimeout,
    // --max-connections is service-wide: the primary refuses beyond it, and holds at most
    // that many sockets (each for at most waitTimeout) while every worker is restarting.
    maxConnections: options.maxConnections,
    maxWaiting: options.maxConnections,
    waitTimeout: options.waitTimeout,
    onWorkerExit: (info) =>
      options.logger.warn(
        'tcp',
        'worker_exit',
        `tcp worker ${info.pid} (slot ${info.slot}) exited (${info.signal ?? info.code}); replacing it`,
        { pid: info.pid, slot: info.slot, exitCode: info.code, signal: info.signal },
      ),
  });
  return {
    port: pool.address.port,
    pool,
    counters: () => {
      const stats = pool.stats();
      return {
        accepted: stats.accepted,
        active: stats.active,
        refused: stats.refused + stats.waitRefused,
        failed: stats.waitTimeouts + stats.dropped,
        bytesIn: 0,
        bytesOut: 0,
        messages: 0,
        authFailures: 0,
      };
    },
    close: () => pool.close({ timeout: options.closeTimeout }),
  };
}
