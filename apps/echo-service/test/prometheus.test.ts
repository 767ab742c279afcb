/**
 * The test Prometheus helper (prometheus.ts) against a tiny loopback exporter serving a
 * fixed exposition: Prometheus scrapes it, and PromQL over the HTTP API sees the value.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPrometheus, startPrometheus } from './prometheus.js';

const EXPOSITION = '# HELP demo_up A fixed value for the test.\n# TYPE demo_up gauge\ndemo_up 1\n';
/** Ms Prometheus may take to scrape the exporter (1 s interval) and answer. */
const SCRAPED_WITHIN_MS = 30_000;

describe('startPrometheus', () => {
  let exporter: Server;
  let target: string;
  const paths: string[] = [];
  let prometheus: RunningPrometheus | undefined;

  beforeAll(async () => {
    exporter = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(EXPOSITION);
    });
    await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
    target = `127.0.0.1:${(exporter.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await prometheus?.stop();
    exporter.closeAllConnections();
    await new Promise<void>((resolve) => exporter.close(() => resolve()));
  });

  it('scrapes a loopback target at /metrics and answers PromQL', { timeout: 90_000 }, async () => {
    prometheus = await startPrometheus({ targets: [target] });
    expect(prometheus.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const up = await prometheus.waitFor(
      'demo_up',
      (samples) => samples.length === 1,
      SCRAPED_WITHIN_MS,
    );
    expect(up[0]?.value[1]).toBe('1');
    expect(up[0]?.metric).toMatchObject({ __name__: 'demo_up', job: 'net-echo', instance: target });

    const health = await prometheus.waitFor(
      'up{job="net-echo"}',
      (samples) => samples.length === 1,
      SCRAPED_WITHIN_MS,
    );
    expect(health[0]?.value[1]).toBe('1');
    expect(paths.length).toBeGreaterThan(0);
    expect(new Set(paths)).toEqual(new Set(['/metrics']));

    // A series that does not exist is an empty vector, not an error.
    expect(await prometheus.query('demo_missing')).toEqual([]);
    // A PromQL syntax error names the query.
    await expect(prometheus.query('demo_up{')).rejects.toThrow(/demo_up\{/);
  });

  it('stop() ends Prometheus and removes its files', { timeout: 60_000 }, async () => {
    const own = await startPrometheus({ targets: [target], scrapeInterval: '2s' });
    expect(existsSync(own.dir)).toBe(true);
    await own.stop();
    await own.stop();
    expect(existsSync(own.dir)).toBe(false);
    await expect(
      fetch(`${own.url}/-/ready`, { signal: AbortSignal.timeout(5_000) }),
    ).rejects.toThrow();
  });

  it('names the package to install when the binary is missing', async () => {
    const binary = '/nonexistent/prometheus';
    expect(existsSync(binary)).toBe(false);
    await expect(startPrometheus({ targets: [target], binary })).rejects.toThrow(
      /install Debian's prometheus package/,
    );
  });
});
