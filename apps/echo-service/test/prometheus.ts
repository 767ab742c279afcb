/**
 * A real Prometheus (Debian's `prometheus` package) on loopback for the tests: it scrapes
 * the given targets and answers PromQL over its HTTP API; and `promtool`, which lints an
 * exposition and checks a config. Missing binaries fail with what to install.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, type PeerResult, runPeer } from '@net/test-peers';

/** The Prometheus server of Debian's `prometheus` package. */
export const PROMETHEUS = '/usr/bin/prometheus';
/** Prometheus's command-line tool, from the same package. */
export const PROMTOOL = '/usr/bin/promtool';

const INSTALL_HINT = "install Debian's prometheus package: apt-get install prometheus";
/** Ms `/-/ready` may take after the spawn (TSDB setup and the first rule and config load). */
const READY_TIMEOUT_MS = 30_000;
/** Ms between two polls of `/-/ready` and of {@link RunningPrometheus.waitFor}. */
const POLL_INTERVAL_MS = 200;
/** Ms an HTTP API request may take. */
const REQUEST_TIMEOUT_MS = 5_000;
/** Ms `stop()` waits after SIGTERM before SIGKILL, and after SIGKILL. */
const STOP_TIMEOUT_MS = 10_000;
/** Spawns tried when the free port was taken by someone else before Prometheus bound it. */
const LISTEN_ATTEMPTS = 3;
/** Bytes of Prometheus's stderr kept for error messages. */
const STDERR_KEEP = 8_192;

/** Options of {@link startPrometheus}. */
export interface StartPrometheusOptions {
  /** `host:port` of each target, scraped at `/metrics` by the job `net-echo`. */
  targets: string[];
  /** Prometheus duration between scrapes (and the scrape timeout). Default `'1s'`. */
  scrapeInterval?: string;
  /** The Prometheus binary. Default {@link PROMETHEUS}. */
  binary?: string;
}

/** One series of an instant vector from `/api/v1/query`. */
export interface PrometheusSample {
  metric: Record<string, string>;
  /** Evaluation time (Unix seconds) and the value as Prometheus formats it. */
  value: [number, string];
}

/** A running Prometheus from {@link startPrometheus}. */
export interface RunningPrometheus {
  /** Base URL of its HTTP API, `http://127.0.0.1:<port>`. */
  url: string;
  /** The temporary directory of its config and TSDB (removed by `stop()`). */
  dir: string;
  /** Evaluates `promql` now (`/api/v1/query`); a scalar comes back as one sample without labels. */
  query(promql: string): Promise<PrometheusSample[]>;
  /**
   * Polls `promql` until `predicate` holds on its result, and resolves with that result;
   * rejects with the last result after `timeoutMs`.
   */
  waitFor(
    promql: string,
    predicate: (samples: PrometheusSample[]) => boolean,
    timeoutMs: number,
  ): Promise<PrometheusSample[]>;
  /** SIGTERM (SIGKILL past a bound), then removes the config and the TSDB. Idempotent. */
  stop(): Promise<void>;
}

/** What `promtool` printed and its exit code (`null` when the deadline killed it). */
export type PromtoolResult = Pick<PeerResult, 'code' | 'stdout' | 'stderr'>;

/** Runs `promtool args` with `input` on stdin; killed after `timeoutMs`; never rejects. */
export async function runPromtool(
  args: string[],
  input = '',
  timeoutMs = 20_000,
): Promise<PromtoolResult> {
  if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing: ${INSTALL_HINT}`);
  const { code, stdout, stderr } = await runPeer(PROMTOOL, args, { input, timeout: timeoutMs });
  return { code, stdout, stderr };
}

/** The scrape config of the test Prometheus: one job, `net-echo`, over the targets. */
function scrapeConfig(targets: string[], interval: string): string {
  // JSON is YAML; quoting every string keeps odd targets from changing the structure.
  return JSON.stringify({
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: 'net-echo',
        metrics_path: '/metrics',
        static_configs: [{ targets }],
      },
    ],
  });
}

/** Resolves when the child has exited (at once if it already has). */
function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** True when `promise` settles within `ms`; clears its timer either way. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL if it is still running after {@link STOP_TIMEOUT_MS}. */
async function terminate(child: ChildProcess): Promise<void> {
  const exited = exitOf(child);
  child.kill('SIGTERM');
  if (!(await settlesWithin(exited, STOP_TIMEOUT_MS))) {
    child.kill('SIGKILL');
    await settlesWithin(exited, STOP_TIMEOUT_MS);
  }
}

/** GET `url` with a deadline; the body parsed as JSON. */
async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (an error page): keep the text for the message.
  }
  return { status: response.status, body };
}

interface Spawned {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

/**
 * Spawns Prometheus on `port` and waits for `/-/ready`; `'port taken'` when it exited
 * because the port was no longer free.
 */
async function spawnReady(
  binary: string,
  dir: string,
  port: number,
): Promise<Spawned | 'port taken'> {
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_KEEP);
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  // 'close' comes after stderr's last bytes, which say why it exited.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + READY_TIMEOUT_MS;
  const attempts = Math.ceil(READY_TIMEOUT_MS / POLL_INTERVAL_MS);
  for (let attempt = 0; attempt < attempts && performance.now() < deadline; attempt++) {
    if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) {
      await settlesWithin(closed, STOP_TIMEOUT_MS);
      if (/address already in use/i.test(stderr)) return 'port taken';
      throw new Error(
        `prometheus exited before it was ready (code ${child.exitCode}, signal ${child.signalCode}${spawnError ? `, ${spawnError.message}` : ''}):\n${stderr}`,
      );
    }
    const ready = await fetch(`${url}/-/ready`, {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { child, url, stderr: () => stderr };
    await sleep(POLL_INTERVAL_MS);
  }
  await terminate(child);
  throw new Error(`prometheus was not ready within ${READY_TIMEOUT_MS} ms:\n${stderr}`);
}

/**
 * Starts Prometheus on a free loopback port, scraping `targets` every `scrapeInterval`
 * (job `net-echo`, path `/metrics`), with its config and TSDB in a temporary directory;
 * resolves once `/-/ready` answers. Call `stop()` when done.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<RunningPrometheus> {
  const binary = options.binary ?? PROMETHEUS;
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: ${INSTALL_HINT}`);
  }
  if (options.targets.length === 0) throw new Error('startPrometheus needs at least one target');
  const dir = await mkdtemp(join(tmpdir(), 'net-echo-prometheus-'));
  let spawned: Spawned | undefined;
  try {
    await writeFile(
      join(dir, 'prometheus.yml'),
      scrapeConfig(options.targets, options.scrapeInterval ?? '1s'),
    );
    for (let attempt = 1; attempt <= LISTEN_ATTEMPTS && spawned === undefined; attempt++) {
      const result = await spawnReady(binary, dir, await freePort());
      if (result !== 'port taken') spawned = result;
    }
    if (spawned === undefined) {
      throw new Error(`prometheus found no free loopback port in ${LISTEN_ATTEMPTS} attempts`);
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const { child, url, stderr } = spawned;
  const query = async (promql: string): Promise<PrometheusSample[]> => {
    const { status, body } = await getJson(
      `${url}/api/v1/query?query=${encodeURIComponent(promql)}`,
    );
    const answer = body as {
      status?: string;
      error?: string;
      data?: { resultType: string; result: unknown };
    };
    if (status !== 200 || answer.status !== 'success' || answer.data === undefined) {
      throw new Error(
        `prometheus query ${promql} failed (HTTP ${status}): ${answer.error ?? JSON.stringify(body)}`,
      );
    }
    const { resultType, result } = answer.data;
    if (resultType === 'vector') return result as PrometheusSample[];
    if (resultType === 'scalar') return [{ metric: {}, value: result as [number, string] }];
    throw new Error(`prometheus query ${promql} returned a ${resultType}, not an instant vector`);
  };
  const waitFor = async (
    promql: string,
    predicate: (samples: PrometheusSample[]) => boolean,
    timeoutMs: number,
  ): Promise<PrometheusSample[]> => {
    const deadline = performance.now() + timeoutMs;
    const attempts = Math.ceil(timeoutMs / POLL_INTERVAL_MS) + 1;
    let last: PrometheusSample[] = [];
    for (let attempt = 0; attempt < attempts; attempt++) {
      last = await query(promql);
      if (predicate(last)) return last;
      if (performance.now() >= deadline) break;
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(
      `prometheus: ${promql} did not match within ${timeoutMs} ms; last result ${JSON.stringify(last)}\n${stderr()}`,
    );
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await terminate(child);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    })();
    return stopping;
  };
  return { url, dir, query, waitFor, stop };
}
