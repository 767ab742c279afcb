/**
 * `GET /metrics` of the real service: the exposition passes `promtool check metrics`,
 * agrees with `/stats`, and a real Prometheus (Debian's package, on loopback, 1 s scrape
 * interval) scrapes it and answers PromQL for the tcp connections counter after traffic.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { getJson, httpRequest, python, useServe } from './helpers.js';
import { type RunningPrometheus, runPromtool, startPrometheus } from './prometheus.js';

/** The value of one sample line `name{labels} value` of an exposition, if present. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  const served = useServe(['--ipc-digests', 'sha256']);
  let prometheus: RunningPrometheus | undefined;
  afterAll(async () => {
    await prometheus?.stop();
  });

  it('passes promtool check metrics and agrees with /stats after traffic', {
    timeout: 60_000,
  }, async () => {
    const s = served();
    const secret = s.ready.secretFile as string;
    for (let i = 0; i < 2; i++) {
      const r = await python('tcp_client.py', [s.ready.ports.tcp, secret]);
      expect(r.code, r.stderr).toBe(0);
    }
    const wrong = await python('tcp_client.py', [s.ready.ports.tcp, secret, 'wrong']);
    expect(wrong.code, wrong.stderr).toBe(0);
    const refusedMd5 = await python('ipc_digest_client.py', [s.ready.ports.ipc, secret]);
    expect(refusedMd5.stdout).toMatch(/^refused 3\.11/);

    const stats = await getJson(s.ready.ports.http, '/stats');
    const res = await httpRequest(s.ready.ports.http, { path: '/metrics' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const exposition = res.body.toString();
    const check = await runPromtool(['check', 'metrics'], exposition);
    expect(check.code, `${check.stdout}${check.stderr}`).toBe(0);
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');

    const tcp = stats.endpoints.tcp;
    expect(sample(exposition, 'net_echo_connections_accepted_total{endpoint="tcp"}')).toBe(
      tcp.accepted,
    );
    expect(tcp.accepted).toBe(3);
    expect(sample(exposition, 'net_echo_auth_failures_total{endpoint="tcp"}')).toBe(1);
    expect(sample(exposition, 'net_echo_ipc_digest_refusals_total')).toBe(1);
    expect(sample(exposition, 'net_echo_bytes_received_total{endpoint="tcp"}')).toBeGreaterThan(0);
    for (const name of [
      'net_echo_udp_dropped_total',
      'net_echo_bulk_arrays_total',
      'net_echo_bulk_array_bytes_total',
      'net_echo_worker_restarts_total',
      'net_echo_event_loop_delay_p99_seconds',
      'net_echo_event_loop_utilization',
      'net_echo_log_lines_total',
      'net_echo_process_cpu_seconds_total',
    ]) {
      expect(sample(exposition, name), name).toBeTypeOf('number');
    }
    const head = await httpRequest(s.ready.ports.http, { method: 'HEAD', path: '/metrics' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('a real Prometheus scrapes it and answers PromQL for the tcp connections counter', {
    timeout: 90_000,
  }, async () => {
    const s = served();
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${s.ready.ports.http}`] });
    const before = await prometheus.waitFor(
      'net_echo_connections_accepted_total{endpoint="tcp"}',
      (samples) => samples.length === 1,
      30_000,
    );
    const seen = Number(before[0]?.value[1]);
    const r = await python('tcp_client.py', [s.ready.ports.tcp, s.ready.secretFile as string]);
    expect(r.code, r.stderr).toBe(0);
    const after = await prometheus.waitFor(
      'net_echo_connections_accepted_total{endpoint="tcp", job="net-echo"}',
      (samples) => Number(samples[0]?.value[1]) === seen + 1,
      30_000,
    );
    expect(after[0]?.metric.instance).toBe(`127.0.0.1:${s.ready.ports.http}`);
    const up = await prometheus.query('up{job="net-echo"}');
    expect(up[0]?.value[1]).toBe('1');
  });
});
