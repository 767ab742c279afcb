/**
 * `--workers N`: the tcp endpoint as a primary that accepts connections and passes them to
 * N worker processes (`@net/ipc` `spawnWorkers`, recipe 11.11). Workers that die are
 * replaced; `/stats` shows the split per worker pid and the restarts.
 */
import { type WorkerPool as ProcessPool, spawnWorkers } from '@net/ipc';
import { WORKER_ENV, type WorkerSettings } from './config.js';
import { createCounters, type EndpointCounters } from './stats.js';

/** Options of {@link startTcpPool}. */
export interface StartTcpPoolOptions {
  host: string;
  port: number;
  workers: number;
  key: Uint8Array;
  authTimeout: number;
  idleTimeout: number;
  maxConnections: number;
  closeTimeout: number;
  log: (message: string) => void;
}

/** The tcp endpoint served by worker processes. */
export interface TcpPoolEndpoint {
  port: number;
  pool: ProcessPool;
  counters: EndpointCounters;
  close(): Promise<void>;
}

/** Starts N tcp workers behind a primary listening on `host:port`. */
export async function startTcpPool(options: StartTcpPoolOptions): Promise<TcpPoolEndpoint> {
  const settings: WorkerSettings = {
    keyHex: Buffer.from(options.key).toString('hex'),
    authTimeout: options.authTimeout,
    idleTimeout: options.idleTimeout,
    maxConnections: options.maxConnections,
  };
  const pool = await spawnWorkers({
    module: new URL('./tcp-worker.js', import.meta.url),
    count: options.workers,
    host: options.host,
    port: options.port,
    env: { ...process.env, [WORKER_ENV]: JSON.stringify(settings) },
    closeTimeout: options.closeTimeout,
    onWorkerExit: (info) =>
      options.log(
        `tcp worker ${info.pid} (slot ${info.slot}) exited (${info.signal ?? info.code}); replacing it`,
      ),
  });
  const counters = createCounters();
  return {
    port: pool.address.port,
    pool,
    counters,
    close: () => pool.close({ timeout: options.closeTimeout }),
  };
}
