/**
 * `createMetrics` on hand-made `/stats` snapshots: every figure reaches the exposition with
 * its labels and base units, counters are counters named `*_total`, one snapshot per
 * render, absent parts read 0, and promtool accepts the exposition and
 * deploy/prometheus.yml.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerPoolStats as ProcessPoolStats } from '@net/ipc';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, ENDPOINTS, type Endpoint } from '../src/config.js';
import { createMetrics, METRIC_PREFIX, type ServiceStats } from '../src/metrics.js';
import type { EndpointCounters } from '../src/stats.js';
import { runPromtool } from './prometheus.js';

const DEPLOY_CONFIG = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'deploy',
  'prometheus.yml',
);

/** Distinct counters per endpoint: tcp 101..108, tls 201..208, ... ipc 701..708. */
function countersOf(endpoint: Endpoint): EndpointCounters {
  const base = (ENDPOINTS.indexOf(endpoint) + 1) * 100;
  return {
    accepted: base + 1,
    active: base + 2,
    refused: base + 3,
    failed: base + 4,
    bytesIn: base + 5,
    bytesOut: base + 6,
    messages: base + 7,
    authFailures: base + 8,
  };
}

/** The lifecycle figures of a stream server (their values are not exposed on their own). */
const LIFECYCLE = {
  active: 0,
  accepted: 0,
  refused: 0,
  bytesIn: 0,
  bytesOut: 0,
  handlerErrors: 0,
  socketErrors: 0,
  timeouts: 0,
  handshakeFailures: 0,
};

/** A snapshot of every endpoint (tcp in this process) with small, distinctive values. */
function fullSnapshot(): ServiceStats {
  return {
    pid: 4242,
    uptimeSeconds: 77,
    rssBytes: 50_000_000,
    loop: {
      delayP50Ms: 3.5,
      delayP99Ms: 12.5,
      delayMaxMs: 40,
      utilization: 0.25,
      underPressure: true,
    },
    checksumPool: {
      completed: 61,
      failed: 62,
      queued: 3,
      running: 1,
      workers: 1,
      utilization: 0.5,
    },
    endpoints: {
      tcp: { ...countersOf('tcp'), detail: { ...LIFECYCLE } },
      tls: {
        ...countersOf('tls'),
        detail: { ...LIFECYCLE, handshakes: 9, resumed: 8, reloads: 0 },
      },
      udp: {
        ...countersOf('udp'),
        detail: {
          received: 31,
          replied: 30,
          dropped: 17,
          handlerErrors: 0,
          replyErrors: 0,
          bytesIn: 0,
          bytesOut: 0,
          inFlight: 0,
        },
      },
      time: { ...countersOf('time'), detail: { handlers: 1, pending: 0, dropped: 0, failed: 0 } },
      http: countersOf('http'),
      bulk: {
        ...countersOf('bulk'),
        detail: {
          ...LIFECYCLE,
          memoryBudget: 2048,
          memoryInUse: 1024,
          arraysHeld: 2,
          arrays: 23,
          arrayBytes: 23_552,
          admissionWaiting: 4,
          admissionWaits: 5,
          admissionRefusals: 6,
          protocolErrors: 7,
          checksums: { computed: 19, skipped: 13, failed: 11, last: null },
        },
      },
      ipc: {
        ...countersOf('ipc'),
        detail: { ...LIFECYCLE, handshaking: 0, authenticated: 0, authFailures: 0 },
        digestRefusals: 29,
      },
    },
    logs: { lines: 37, suppressed: 41 },
  };
}

/** The process pool of `--workers 3`: two ready, one starting, 5 restarts. */
function processPoolStats(): ProcessPoolStats {
  const worker = (slot: number, ready: boolean) => ({
    pid: 1000 + slot,
    slot,
    connections: 0,
    active: 0,
    ready,
    alive: true,
  });
  return {
    accepted: 0,
    active: 0,
    waiting: 0,
    refused: 0,
    waitRefused: 0,
    waitTimeouts: 0,
    dispatched: 0,
    dropped: 0,
    restarts: 5,
    workers: [worker(0, true), worker(1, false), worker(2, true)],
    history: [],
  };
}

/** A parsed exposition: sample values by `name{label="value",...}` (labels sorted), TYPE and HELP by name. */
interface Exposition {
  samples: Map<string, number>;
  types: Map<string, string>;
  help: Map<string, string>;
}

function sampleKey(name: string, labels: Record<string, string> = {}): string {
  const pairs = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}="${value}"`);
  return `${name}{${pairs.join(',')}}`;
}

function parseExposition(text: string): Exposition {
  const exposition: Exposition = { samples: new Map(), types: new Map(), help: new Map() };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      (kind === 'TYPE' ? exposition.types : exposition.help).set(name, rest);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not an exposition line: ${line}`);
    const [, name, labelText = '', value] = sample as unknown as [string, string, string, string];
    const labels: Record<string, string> = {};
    for (const [, key, labelValue] of labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = labelValue as string;
    }
    exposition.samples.set(sampleKey(name, labels), Number(value));
  }
  return exposition;
}

async function render(snapshot: ServiceStats): Promise<Exposition> {
  return parseExposition(await createMetrics(() => snapshot).render());
}

/** Every metric of ours, without the prefix: [name, type]. */
const OWN_METRICS: [string, 'counter' | 'gauge'][] = [
  ['connections_accepted_total', 'counter'],
  ['connections_active', 'gauge'],
  ['connections_refused_total', 'counter'],
  ['failures_total', 'counter'],
  ['bytes_received_total', 'counter'],
  ['bytes_sent_total', 'counter'],
  ['messages_total', 'counter'],
  ['auth_failures_total', 'counter'],
  ['udp_dropped_total', 'counter'],
  ['bulk_arrays_total', 'counter'],
  ['bulk_array_bytes_total', 'counter'],
  ['bulk_memory_in_use_bytes', 'gauge'],
  ['bulk_memory_budget_bytes', 'gauge'],
  ['bulk_admission_waiting', 'gauge'],
  ['bulk_admission_refusals_total', 'counter'],
  ['bulk_checksums_total', 'counter'],
  ['ipc_digest_refusals_total', 'counter'],
  ['worker_restarts_total', 'counter'],
  ['tcp_workers_ready', 'gauge'],
  ['event_loop_delay_p50_seconds', 'gauge'],
  ['event_loop_delay_p99_seconds', 'gauge'],
  ['event_loop_delay_max_seconds', 'gauge'],
  ['event_loop_utilization', 'gauge'],
  ['under_pressure', 'gauge'],
  ['checksum_pool_tasks_queued', 'gauge'],
  ['checksum_pool_tasks_running', 'gauge'],
  ['checksum_pool_utilization', 'gauge'],
  ['log_lines_total', 'counter'],
  ['log_failures_suppressed_total', 'counter'],
];

/** The per-endpoint metrics and the EndpointCounters field each one shows. */
const PER_ENDPOINT: [string, keyof EndpointCounters][] = [
  ['connections_accepted_total', 'accepted'],
  ['connections_active', 'active'],
  ['connections_refused_total', 'refused'],
  ['failures_total', 'failed'],
  ['bytes_received_total', 'bytesIn'],
  ['bytes_sent_total', 'bytesOut'],
  ['messages_total', 'messages'],
  ['auth_failures_total', 'authFailures'],
];

function value(
  exposition: Exposition,
  name: string,
  labels?: Record<string, string>,
): number | undefined {
  return exposition.samples.get(sampleKey(METRIC_PREFIX + name, labels));
}

describe('createMetrics', () => {
  it('exposes every endpoint counter with its endpoint label', async () => {
    const exposition = await render(fullSnapshot());
    for (const endpoint of ENDPOINTS) {
      const counters = countersOf(endpoint);
      for (const [name, field] of PER_ENDPOINT) {
        expect(value(exposition, name, { endpoint }), `${name}{endpoint="${endpoint}"}`).toBe(
          counters[field],
        );
      }
    }
  });

  it('exposes the packages, loop, pool and log figures in base units', async () => {
    const exposition = await render(fullSnapshot());
    const expected: [string, Record<string, string> | undefined, number][] = [
      ['udp_dropped_total', undefined, 17],
      ['bulk_arrays_total', undefined, 23],
      ['bulk_array_bytes_total', undefined, 23_552],
      ['bulk_memory_in_use_bytes', undefined, 1024],
      ['bulk_memory_budget_bytes', undefined, 2048],
      ['bulk_admission_waiting', undefined, 4],
      ['bulk_admission_refusals_total', undefined, 6],
      ['bulk_checksums_total', { result: 'computed' }, 19],
      ['bulk_checksums_total', { result: 'skipped' }, 13],
      ['bulk_checksums_total', { result: 'failed' }, 11],
      ['ipc_digest_refusals_total', undefined, 29],
      ['worker_restarts_total', undefined, 0],
      ['tcp_workers_ready', undefined, 0],
      ['event_loop_delay_p50_seconds', undefined, 0.0035],
      ['event_loop_delay_p99_seconds', undefined, 0.0125],
      ['event_loop_delay_max_seconds', undefined, 0.04],
      ['event_loop_utilization', undefined, 0.25],
      ['under_pressure', undefined, 1],
      ['checksum_pool_tasks_queued', undefined, 3],
      ['checksum_pool_tasks_running', undefined, 1],
      ['checksum_pool_utilization', undefined, 0.5],
      ['log_lines_total', undefined, 37],
      ['log_failures_suppressed_total', undefined, 41],
    ];
    for (const [name, labels, expectedValue] of expected) {
      expect(value(exposition, name, labels), sampleKey(name, labels)).toBe(expectedValue);
    }
  });

  it('shows the process pool of --workers: restarts and ready workers', async () => {
    const snapshot = fullSnapshot();
    snapshot.endpoints.tcp = { ...countersOf('tcp'), detail: processPoolStats() };
    const exposition = await render(snapshot);
    expect(value(exposition, 'worker_restarts_total')).toBe(5);
    expect(value(exposition, 'tcp_workers_ready')).toBe(2);
    expect(value(exposition, 'connections_accepted_total', { endpoint: 'tcp' })).toBe(101);
  });

  it('types package counters as counters named *_total, figures of now as gauges', async () => {
    const exposition = await render(fullSnapshot());
    for (const [name, type] of OWN_METRICS) {
      expect(exposition.types.get(METRIC_PREFIX + name), name).toBe(type);
      expect(exposition.help.get(METRIC_PREFIX + name), name).not.toBe('');
    }
    // Every metric of the exposition, prom-client's defaults included.
    for (const [name, type] of exposition.types) {
      expect(name.startsWith(METRIC_PREFIX), name).toBe(true);
      expect(type === 'counter', `${name} is a ${type}`).toBe(name.endsWith('_total'));
    }
  });

  it("includes prom-client's default process metrics under the prefix", async () => {
    const exposition = await render(fullSnapshot());
    expect(exposition.types.get(`${METRIC_PREFIX}process_cpu_seconds_total`)).toBe('counter');
    expect(exposition.types.get(`${METRIC_PREFIX}nodejs_heap_size_used_bytes`)).toBe('gauge');
    // Gauges named *_total, which promtool rejects: their per-type gauges stay.
    expect(exposition.types.has(`${METRIC_PREFIX}nodejs_active_handles_total`)).toBe(false);
    expect(exposition.types.get(`${METRIC_PREFIX}nodejs_active_handles`)).toBe('gauge');
  });

  it('reads the snapshot exactly once per render, and shows that snapshot', async () => {
    let calls = 0;
    const metrics = createMetrics(() => {
      calls++;
      const snapshot = fullSnapshot();
      snapshot.logs = { lines: calls * 10, suppressed: 0 };
      return snapshot;
    });
    const first = parseExposition(await metrics.render());
    expect(calls).toBe(1);
    const second = parseExposition(await metrics.render());
    expect(calls).toBe(2);
    // The counters show each snapshot's value, not a sum over renders.
    expect(value(first, 'log_lines_total')).toBe(10);
    expect(value(second, 'log_lines_total')).toBe(20);
  });

  it('gives concurrent renders one snapshot each', async () => {
    let calls = 0;
    const metrics = createMetrics(() => {
      calls++;
      const snapshot = fullSnapshot();
      snapshot.logs = { lines: calls, suppressed: calls };
      snapshot.loop.delayP99Ms = calls * 1000;
      return snapshot;
    });
    const texts = await Promise.all([metrics.render(), metrics.render(), metrics.render()]);
    expect(calls).toBe(3);
    texts.forEach((text, index) => {
      const exposition = parseExposition(text);
      expect(value(exposition, 'log_lines_total')).toBe(index + 1);
      expect(value(exposition, 'log_failures_suppressed_total')).toBe(index + 1);
      expect(value(exposition, 'event_loop_delay_p99_seconds')).toBe(index + 1);
    });
  });

  it('reads 0 for absent optional parts and leaves out absent endpoints', async () => {
    const snapshot = fullSnapshot();
    delete snapshot.logs;
    delete snapshot.endpoints.ipc?.digestRefusals;
    delete snapshot.endpoints.udp;
    delete snapshot.endpoints.bulk;
    const exposition = await render(snapshot);
    expect(value(exposition, 'log_lines_total')).toBe(0);
    expect(value(exposition, 'log_failures_suppressed_total')).toBe(0);
    expect(value(exposition, 'ipc_digest_refusals_total')).toBe(0);
    expect(value(exposition, 'worker_restarts_total')).toBe(0);
    expect(value(exposition, 'tcp_workers_ready')).toBe(0);
    expect(value(exposition, 'udp_dropped_total')).toBe(0);
    expect(value(exposition, 'bulk_arrays_total')).toBe(0);
    expect(value(exposition, 'bulk_array_bytes_total')).toBe(0);
    expect(value(exposition, 'bulk_checksums_total', { result: 'computed' })).toBe(0);
    expect(value(exposition, 'connections_accepted_total', { endpoint: 'udp' })).toBeUndefined();
    expect(value(exposition, 'connections_accepted_total', { endpoint: 'ipc' })).toBe(701);

    const empty = await render({ ...fullSnapshot(), endpoints: {} });
    for (const endpoint of ENDPOINTS) {
      expect(value(empty, 'connections_active', { endpoint })).toBeUndefined();
    }
    expect(empty.types.get(`${METRIC_PREFIX}connections_active`)).toBe('gauge');
  });

  it('rejects render() when the snapshot throws', async () => {
    const metrics = createMetrics(() => {
      throw new Error('stats failed');
    });
    const rendering = metrics.render();
    await expect(rendering).rejects.toThrow('stats failed');
  });

  it('states the Prometheus text format as its content type', () => {
    expect(createMetrics(fullSnapshot).contentType).toBe(
      'text/plain; version=0.0.4; charset=utf-8',
    );
  });

  it('passes promtool check metrics', { timeout: 30_000 }, async () => {
    const workers = fullSnapshot();
    workers.endpoints.tcp = { ...countersOf('tcp'), detail: processPoolStats() };
    for (const snapshot of [fullSnapshot(), workers]) {
      const text = await createMetrics(() => snapshot).render();
      const result = await runPromtool(['check', 'metrics'], text);
      expect(result.stdout + result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
    // The check is not a formality: it fails a counter without _total.
    const bad = await runPromtool(
      ['check', 'metrics'],
      '# HELP a_b A.\n# TYPE a_b counter\na_b 1\n',
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/_total/);
  });
});

describe('deploy/prometheus.yml', () => {
  it('scrapes each instance on its own http port, not through nginx', async () => {
    const config = await readFile(DEPLOY_CONFIG, 'utf8');
    const directives = config.replace(/#.*$/gm, '');
    expect(directives).toContain(`INSTANCE_1:${DEFAULT_PORTS.http}`);
    expect(directives).toContain(`INSTANCE_2:${DEFAULT_PORTS.http}`);
    expect(directives).toMatch(/metrics_path: \/metrics/);
  });

  it('passes promtool check config with the placeholders filled in', {
    timeout: 30_000,
  }, async () => {
    const config = await readFile(DEPLOY_CONFIG, 'utf8');
    const filled = config.replace(/INSTANCE_\d+/g, '127.0.0.1');
    expect(filled.replace(/#.*$/gm, '')).not.toMatch(/INSTANCE_/);
    const dir = await mkdtemp(join(tmpdir(), 'net-echo-prometheus-yml-'));
    try {
      const file = join(dir, 'prometheus.yml');
      await writeFile(file, filled);
      const result = await runPromtool(['check', 'config', file]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      // The check can fail: a scrape timeout over the interval is refused.
      await writeFile(file, filled.replace(/scrape_timeout: \S+/, 'scrape_timeout: 1h'));
      const broken = await runPromtool(['check', 'config', file]);
      expect(broken.code).not.toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
