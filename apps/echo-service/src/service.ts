/**
 * `serve`: starts every endpoint on one shared secret and one set of dev certificates,
 * returns the bound ports and `close()`.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { monitorLoop, underPressure, WorkerPool } from '@net/event-loop';
import { generateDevCertificates } from '@net/tls';
import { startBulk } from './bulk.js';
import {
  ENDPOINTS,
  type Endpoint,
  type Ports,
  SERVICE_DEFAULTS,
  type ServiceConfig,
} from './config.js';
import { buildDashboard } from './dashboard.js';
import { CertificateError, StartError } from './errors.js';
import { startHttp } from './http.js';
import { startIpc } from './ipc.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type ServiceStats } from './metrics.js';
import { loadSecret } from './secret.js';
import { prepareStateDir } from './state-dir.js';
import { lifecycleCounters, readStats, type StatsSource } from './stats.js';
import { startTcp } from './tcp.js';
import { startTcpPool } from './tcp-pool.js';
import { startTime } from './time.js';
import { startTls } from './tls.js';
import { startUdp } from './udp.js';

/** Options of {@link startService}: any {@link ServiceConfig} field, plus the secret's sources. */
export interface StartServiceOptions extends Partial<ServiceConfig> {
  secretFile?: string | undefined;
  /** The value of `NET_ECHO_SECRET`, if set. */
  secretEnv?: string | undefined;
  /** Where the service logs (default: text lines on stderr; `--workers` use its format); `close()` flushes it. */
  logger?: Logger;
}

/** A running service. */
export interface Service {
  ports: Ports;
  /** Path of the dev CA certificate (PEM) that clients trust. */
  caCert: string;
  /** The secret's file, or `null` when it came from `NET_ECHO_SECRET`. */
  secretFile: string | null;
  /** What `/stats` returns. */
  stats(): ServiceStats;
  /** Graceful shutdown of every endpoint. */
  close(): Promise<void>;
}

/** The ready line printed on stdout once every endpoint listens. */
export function readyLine(service: Service): string {
  return JSON.stringify({
    event: 'ready',
    ports: Object.fromEntries(ENDPOINTS.map((name) => [name, service.ports[name]])),
    caCert: service.caCert,
    secretFile: service.secretFile,
    pid: process.pid,
  });
}

/** Starts every endpoint; on any failure, closes what had started and rejects. */
export async function startService(options: StartServiceOptions = {}): Promise<Service> {
  const config: ServiceConfig = { ...SERVICE_DEFAULTS, ...stripUndefined(options) };
  const bulkMemory = config.bulkMemory ?? 2 * config.maxBulkBytes;
  if (bulkMemory < config.maxBulkBytes) {
    throw new StartError(
      'bulk',
      new Error(
        `--bulk-memory (${bulkMemory}) is below --max-bulk-bytes (${config.maxBulkBytes}), so the largest arrays could never be admitted; raise --bulk-memory or lower --max-bulk-bytes`,
      ),
    );
  }
  const logger = options.logger ?? createLogger();
  const stateDir = resolve(config.stateDir);
  await prepareStateDir(stateDir);
  const secret = await loadSecret({
    secretFile: options.secretFile,
    env: options.secretEnv,
    stateDir,
  });
  logger.info(
    'service',
    'secret',
    secret.source === 'env'
      ? 'secret: from NET_ECHO_SECRET'
      : `secret: ${secret.secretFile}${secret.source === 'generated' ? ' (generated, mode 0600)' : ''}`,
    { source: secret.source, bytes: secret.key.length },
  );
  const { certs, caCert } = await loadCertificates(config, stateDir);
  const clientCa =
    config.clientCa === undefined ? undefined : await readFile(config.clientCa, 'utf8');

  const monitor = monitorLoop({ window: 2_000 });
  const shed = (): boolean =>
    config.shedDelayMs > 0 &&
    underPressure({ monitor, maxDelayMs: config.shedDelayMs, maxUtilization: 1.01 }) !== false;
  const pool = new WorkerPool({
    filename: new URL('./checksum-task.js', import.meta.url),
    maxWorkers: 1,
    maxQueue: 16,
  });

  const closers: (() => Promise<void>)[] = [];
  const sources: Record<string, StatsSource> = {};
  const common = {
    host: config.host,
    idleTimeout: config.idleTimeout,
    maxConnections: config.maxConnections,
    closeTimeout: config.closeTimeout,
    logger,
  };
  const ports = {} as Ports;
  const start = async <T extends { port: number; close(): Promise<void> }>(
    name: Endpoint,
    run: () => Promise<T>,
  ): Promise<T> => {
    try {
      const endpoint = await run();
      ports[name] = endpoint.port;
      closers.push(() => endpoint.close());
      return endpoint;
    } catch (error) {
      throw new StartError(name, error);
    }
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await Promise.allSettled(closers.reverse().map((fn) => fn()));
      monitor.stop();
      await pool.destroy();
      logger.flush();
    })();
    return closing;
  };

  try {
    if (config.workers > 0) {
      const tcp = await start('tcp', () =>
        startTcpPool({
          ...common,
          port: config.ports.tcp,
          workers: config.workers,
          key: secret.key,
          authTimeout: config.authTimeout,
          waitTimeout: config.authTimeout,
        }),
      );
      sources.tcp = () => ({ ...tcp.counters(), detail: tcp.pool.stats() });
    } else {
      const tcp = await start('tcp', () =>
        startTcp({
          ...common,
          port: config.ports.tcp,
          key: secret.key,
          authTimeout: config.authTimeout,
          shed,
        }),
      );
      sources.tcp = () => {
        const detail = tcp.server.stats();
        return { ...lifecycleCounters(detail, tcp.count.messages, true), detail };
      };
    }
    const tls = await start('tls', () =>
      startTls({
        ...common,
        port: config.ports.tls,
        certs,
        clientCa,
        handshakeTimeout: config.handshakeTimeout,
      }),
    );
    sources.tls = () => ({ ...tls.counters(), detail: tls.server.stats() });
    const udp = await start('udp', () => startUdp({ ...common, port: config.ports.udp }));
    sources.udp = () => ({ ...udp.counters, detail: udp.server.stats() });
    const time = await start('time', () => startTime({ ...common, port: config.ports.time }));
    sources.time = () => ({ ...time.counters, detail: time.loop.stats() });
    const bulk = await start('bulk', () =>
      startBulk({
        ...common,
        port: config.ports.bulk,
        maxBytes: config.maxBulkBytes,
        memoryBudget: bulkMemory,
        headerTimeout: config.handshakeTimeout,
        pool,
        shed,
      }),
    );
    sources.bulk = () => ({
      ...bulk.counters(),
      detail: { ...bulk.server.stats(), checksums: bulk.checksums },
    });
    const ipc = await start('ipc', () =>
      startIpc({
        ...common,
        port: config.ports.ipc,
        key: secret.key,
        digests: config.ipcDigests,
        maxMessageSize: config.maxIpcMessage,
        handshakeTimeout: config.handshakeTimeout,
      }),
    );
    sources.ipc = () => ({ ...ipc.counters(), detail: ipc.server.stats() });
    const stats = (): ServiceStats => {
      const health = monitor.snapshot();
      return {
        pid: process.pid,
        uptimeSeconds: Math.round(process.uptime()),
        rssBytes: process.memoryUsage.rss(),
        loop: {
          delayP50Ms: health.p50,
          delayP99Ms: health.p99,
          delayMaxMs: health.max,
          utilization: health.utilization,
          underPressure: shed(),
        },
        checksumPool: pool.stats(),
        endpoints: readStats(sources),
        logs: logger.stats(),
      };
    };
    const metrics = createMetrics(stats);
    const http = await start('http', () =>
      startHttp({
        ...common,
        port: config.ports.http,
        maxBodyBytes: config.maxBodyBytes,
        page: (httpPort) =>
          buildDashboard({
            host: config.host,
            ports: { ...ports, http: httpPort },
            caCert,
            secretFile: secret.secretFile,
          }),
        stats,
        metrics,
        allowedHosts: config.allowedHosts,
        shed,
      }),
    );
    sources.http = () => ({ ...http.counters });
    return { ports, caCert, secretFile: secret.secretFile, stats, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The tls endpoint's certificate: `--cert`/`--key` (and `--ca-cert` for the ready line) when
 * given, so that every instance behind a load balancer presents the same one; else dev
 * certificates generated into (and reused from) `<state-dir>/certs`.
 */
async function loadCertificates(
  config: ServiceConfig,
  stateDir: string,
): Promise<{ certs: { server: { cert: string; key: string } }; caCert: string }> {
  if (config.cert === undefined && config.key === undefined) {
    if (config.caCert !== undefined) {
      throw new CertificateError('--ca-cert needs --cert and --key (the certificate it signed)');
    }
    const certs = await generateDevCertificates({ dir: join(stateDir, 'certs'), client: true });
    return { certs, caCert: resolve(certs.files.caCert) };
  }
  if (config.cert === undefined || config.key === undefined) {
    throw new CertificateError('--cert and --key go together: pass both PEM files');
  }
  const read = (flag: string, path: string) =>
    readFile(path, 'utf8').catch((error: unknown) => {
      throw new CertificateError(`cannot read ${flag} ${path}: ${String(error)}`, error);
    });
  const cert = await read('--cert', config.cert);
  const key = await read('--key', config.key);
  const caCert = resolve(config.caCert ?? config.cert);
  await read(config.caCert === undefined ? '--cert' : '--ca-cert', caCert);
  return { certs: { server: { cert, key } }, caCert };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
