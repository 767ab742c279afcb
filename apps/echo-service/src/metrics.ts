/**
 * `GET /metrics`: the `/stats` document in the Prometheus text exposition format, built
 * with prom-client on a registry of its own. Each render reads one `/stats` snapshot and
 * every metric's `collect()` takes its value from that snapshot, so the figures of one
 * scrape agree with each other. Counters of the packages (monotonic since start) are
 * Prometheus counters named `*_total`; figures of now (open connections, loop delay) are
 * gauges. Units are base units: seconds, bytes, ratios 0–1.
 *
 * @example
 * ```ts
 * const metrics = createMetrics(() => service.stats());
 * res.writeHead(200, { 'content-type': metrics.contentType });
 * res.end(await metrics.render());
 * ```
 */
import type { BulkServerStats } from '@net/bulk-transfer';
import type { EventLoopStats, WorkerPoolStats as ThreadPoolStats } from '@net/event-loop';
import type { IpcServerStats, WorkerPoolStats as ProcessPoolStats } from '@net/ipc';
import type { TcpServerStats } from '@net/tcp-server';
import type { TlsServerStats } from '@net/tls';
import type { UdpServerStats } from '@net/udp-server';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ChecksumStats } from './bulk.js';
import { ENDPOINTS, type Endpoint } from './config.js';
import type { EndpointCounters } from './stats.js';

/** Prefix of every metric name (prom-client's default process metrics too). */
export const METRIC_PREFIX = 'net_echo_';

/** One endpoint's `/stats` entry: its counters, and what its package's `stats()` reports. */
export type EndpointStats<Detail> = EndpointCounters & { detail: Detail };

/** The `/stats` entry of every endpoint, by name. */
export interface ServiceEndpointStats
  extends Record<Endpoint, EndpointCounters & { detail?: unknown }> {
  /** `detail` is `@net/tcp-server`'s stats, or with `--workers` the process pool's. */
  tcp: EndpointStats<TcpServerStats | ProcessPoolStats>;
  tls: EndpointStats<TlsServerStats>;
  udp: EndpointStats<UdpServerStats>;
  time: EndpointStats<EventLoopStats>;
  /** The http endpoint keeps its own counters and has no package stats. */
  http: EndpointCounters & { detail?: undefined };
  bulk: EndpointStats<BulkServerStats & { checksums: ChecksumStats }>;
  ipc: EndpointStats<IpcServerStats> & {
    /** Peers refused because their HMAC digest is not in `--ipc-digests` (absent: 0). */
    digestRefusals?: number;
  };
}

/** What /stats returns (the snapshot the metrics are read from). */
export interface ServiceStats {
  pid: number;
  uptimeSeconds: number;
  rssBytes: number;
  /** The event loop over the monitor's window (ms), and whether load shedding is on now. */
  loop: {
    delayP50Ms: number;
    delayP99Ms: number;
    delayMaxMs: number;
    /** Busy fraction, 0–1. */
    utilization: number;
    underPressure: boolean;
  };
  /** The thread pool computing the bulk arrays' CRC-32. */
  checksumPool: ThreadPoolStats;
  /** The endpoints started so far (an absent one has no samples). */
  endpoints: { [Name in Endpoint]?: ServiceEndpointStats[Name] };
  /** The logger's `stats()`: lines written, failures folded into summaries (absent: 0). */
  logs?: { lines: number; suppressed: number } | undefined;
}

/** The `/metrics` exposition of one service. */
export interface Metrics {
  /** The Content-Type of the exposition (registry.contentType). */
  readonly contentType: string;
  /** The exposition text, from ONE snapshot taken at the start of the call. */
  render(): Promise<string>;
}

/** Label values of one sample, and its value. */
type Sample = readonly [labels: Partial<Record<string, string>>, value: number];

/** One metric of the exposition, and how its value is read from a snapshot. */
interface MetricDefinition {
  /** Without {@link METRIC_PREFIX}. */
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  labelNames?: readonly string[];
  /** A single value (no labels), or one sample per label set. */
  read(stats: ServiceStats): number | readonly Sample[];
}

/** One sample per endpoint present in the snapshot, in ready-line order. */
function perEndpoint(stats: ServiceStats, field: keyof EndpointCounters): Sample[] {
  const samples: Sample[] = [];
  for (const endpoint of ENDPOINTS) {
    const entry = stats.endpoints[endpoint];
    if (entry !== undefined) samples.push([{ endpoint }, entry[field]]);
  }
  return samples;
}

/** The tcp endpoint's process pool, when it runs with `--workers`. */
function processPool(stats: ServiceStats): ProcessPoolStats | undefined {
  const detail = stats.endpoints.tcp?.detail;
  return detail !== undefined && 'restarts' in detail ? detail : undefined;
}

const ENDPOINT_LABEL = ['endpoint'] as const;

/** The metrics every endpoint has, one sample per endpoint: `[name, type, field, help]`. */
const PER_ENDPOINT: readonly [string, MetricDefinition['type'], keyof EndpointCounters, string][] =
  [
    [
      'connections_accepted_total',
      'counter',
      'accepted',
      'Connections accepted (udp and time: datagrams; http: requests), refused ones included on stream endpoints.',
    ],
    ['connections_active', 'gauge', 'active', 'Connections open now (stream and http endpoints).'],
    [
      'connections_refused_total',
      'counter',
      'refused',
      'Connections or requests refused: connection limit, load shedding, http bodies over the limit.',
    ],
    [
      'failures_total',
      'counter',
      'failed',
      'Clients that failed: bad input, failed handshakes, timeouts, handler errors.',
    ],
    [
      'bytes_received_total',
      'counter',
      'bytesIn',
      'Bytes received: wire bytes on tcp, tls, bulk and ipc (handshakes and headers included); payload bytes on udp, time and http.',
    ],
    [
      'bytes_sent_total',
      'counter',
      'bytesOut',
      'Bytes sent: wire bytes on tcp, tls, bulk and ipc (handshakes and headers included); payload bytes on udp, time and http.',
    ],
    [
      'messages_total',
      'counter',
      'messages',
      'Units of work echoed: reads (tcp, tls), datagrams (udp, time), arrays (bulk), messages (ipc), responses (http).',
    ],
    [
      'auth_failures_total',
      'counter',
      'authFailures',
      'Peers that failed authentication (tcp: wrong HMAC answer; ipc: wrong authkey).',
    ],
  ];

/** The bulk endpoint's own figures, read from its `detail`: `[name, type, field, help]`. */
const BULK: readonly [
  string,
  MetricDefinition['type'],
  (
    | 'arrays'
    | 'arrayBytes'
    | 'memoryInUse'
    | 'memoryBudget'
    | 'admissionWaiting'
    | 'admissionRefusals'
  ),
  string,
][] = [
  ['bulk_arrays_total', 'counter', 'arrays', 'Arrays the bulk endpoint received completely.'],
  [
    'bulk_array_bytes_total',
    'counter',
    'arrayBytes',
    'Body bytes of the arrays the bulk endpoint received completely (data only, without .npy headers).',
  ],
  [
    'bulk_memory_in_use_bytes',
    'gauge',
    'memoryInUse',
    'Bytes of bulk arrays admitted now (held until echoed and checksummed), out of the memory budget.',
  ],
  [
    'bulk_memory_budget_bytes',
    'gauge',
    'memoryBudget',
    'The bulk memory budget (--bulk-memory): bytes of arrays admitted at once over all connections.',
  ],
  [
    'bulk_admission_waiting',
    'gauge',
    'admissionWaiting',
    'Bulk arrays waiting now for room in the memory budget.',
  ],
  [
    'bulk_admission_refusals_total',
    'counter',
    'admissionRefusals',
    'Bulk arrays refused: over --max-bulk-bytes, the header limit or the memory budget.',
  ],
];

const METRICS: readonly MetricDefinition[] = [
  ...PER_ENDPOINT.map(
    ([name, type, field, help]): MetricDefinition => ({
      name,
      type,
      help,
      labelNames: ENDPOINT_LABEL,
      read: (stats) => perEndpoint(stats, field),
    }),
  ),
  {
    name: 'udp_dropped_total',
    type: 'counter',
    help: 'Datagrams the udp endpoint dropped because too many were being handled at once.',
    read: (stats) => stats.endpoints.udp?.detail.dropped ?? 0,
  },
  ...BULK.map(
    ([name, type, field, help]): MetricDefinition => ({
      name,
      type,
      help,
      read: (stats) => stats.endpoints.bulk?.detail[field] ?? 0,
    }),
  ),
  {
    name: 'bulk_checksums_total',
    type: 'counter',
    help: 'CRC-32 checksums of echoed bulk arrays: computed, skipped under load, or failed.',
    labelNames: ['result'],
    read: (stats) => {
      const checksums = stats.endpoints.bulk?.detail.checksums;
      return [
        [{ result: 'computed' }, checksums?.computed ?? 0],
        [{ result: 'skipped' }, checksums?.skipped ?? 0],
        [{ result: 'failed' }, checksums?.failed ?? 0],
      ];
    },
  },
  {
    name: 'ipc_digest_refusals_total',
    type: 'counter',
    help: 'ipc peers refused because their HMAC digest (e.g. legacy MD5) is not in --ipc-digests.',
    read: (stats) => stats.endpoints.ipc?.digestRefusals ?? 0,
  },
  {
    name: 'worker_restarts_total',
    type: 'counter',
    help: 'tcp worker processes started to replace one that exited (0 without --workers).',
    read: (stats) => processPool(stats)?.restarts ?? 0,
  },
  {
    name: 'tcp_workers_ready',
    type: 'gauge',
    help: 'tcp worker processes alive and ready for connections now (0 without --workers).',
    read: (stats) =>
      processPool(stats)?.workers.filter((worker) => worker.alive && worker.ready).length ?? 0,
  },
  {
    name: 'event_loop_delay_p50_seconds',
    type: 'gauge',
    help: 'Median event-loop delay over the last window of the load-shedding monitor.',
    read: (stats) => stats.loop.delayP50Ms / 1000,
  },
  {
    name: 'event_loop_delay_p99_seconds',
    type: 'gauge',
    help: '99th-percentile event-loop delay over the last window (what --shed-delay-ms is compared with).',
    read: (stats) => stats.loop.delayP99Ms / 1000,
  },
  {
    name: 'event_loop_delay_max_seconds',
    type: 'gauge',
    help: 'Largest event-loop delay over the last window of the load-shedding monitor.',
    read: (stats) => stats.loop.delayMaxMs / 1000,
  },
  {
    name: 'event_loop_utilization',
    type: 'gauge',
    help: 'Fraction of the last window the event loop was busy, 0 to 1.',
    read: (stats) => stats.loop.utilization,
  },
  {
    name: 'under_pressure',
    type: 'gauge',
    help: '1 while the event loop is under pressure and new tcp, bulk and http work is refused, else 0.',
    read: (stats) => (stats.loop.underPressure ? 1 : 0),
  },
  {
    name: 'checksum_pool_tasks_queued',
    type: 'gauge',
    help: 'Checksum tasks waiting for a worker thread now.',
    read: (stats) => stats.checksumPool.queued,
  },
  {
    name: 'checksum_pool_tasks_running',
    type: 'gauge',
    help: 'Checksum tasks running on a worker thread now.',
    read: (stats) => stats.checksumPool.running,
  },
  {
    name: 'checksum_pool_utilization',
    type: 'gauge',
    help: 'Busy worker-thread time of the checksum pool over its capacity since start, 0 to 1.',
    read: (stats) => stats.checksumPool.utilization,
  },
  {
    name: 'log_lines_total',
    type: 'counter',
    help: 'Log lines written (summary lines included).',
    read: (stats) => stats.logs?.lines ?? 0,
  },
  {
    name: 'log_failures_suppressed_total',
    type: 'counter',
    help: 'Peer failures folded into a per-window summary line instead of being logged one by one.',
    read: (stats) => stats.logs?.suppressed ?? 0,
  },
];

/**
 * prom-client's default metrics that are gauges named `*_total`, which `promtool check
 * metrics` rejects (prometheus/client_js#283); each is the sum of the per-type gauge of
 * the same name without `_total`.
 */
const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * The `/metrics` exposition of a service: `snapshot` is called once per
 * {@link Metrics.render} (it walks every open connection) and every metric is read from it.
 */
export function createMetrics(snapshot: () => ServiceStats): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(METRIC_PREFIX + name);

  // The snapshot of the render in progress. registry.metrics() calls every collect()
  // before it first awaits, so all of them read the snapshot of their own render, and
  // one read outside a render is a bug to report, not a stale value to expose.
  let current: ServiceStats | undefined;
  const samples = (definition: MetricDefinition): readonly Sample[] => {
    if (current === undefined) {
      throw new Error(
        `metric ${METRIC_PREFIX}${definition.name} was collected outside render(); read metrics through render() only`,
      );
    }
    const value = definition.read(current);
    return typeof value === 'number' ? [[{}, value]] : value;
  };

  for (const definition of METRICS) {
    const config = {
      name: METRIC_PREFIX + definition.name,
      help: definition.help,
      labelNames: definition.labelNames ?? [],
      registers: [registry],
    };
    // reset() first: a label set missing from this snapshot must not keep an old value.
    if (definition.type === 'counter') {
      new Counter({
        ...config,
        collect() {
          this.reset();
          for (const [labels, value] of samples(definition)) this.inc(labels, value);
        },
      });
    } else {
      new Gauge({
        ...config,
        collect() {
          this.reset();
          for (const [labels, value] of samples(definition)) this.set(labels, value);
        },
      });
    }
  }

  return {
    contentType: registry.contentType,
    async render() {
      current = snapshot();
      try {
        return registry.metrics();
      } finally {
        current = undefined;
      }
    },
  };
}
