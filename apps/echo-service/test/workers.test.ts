/** --workers: TCP connections passed to worker processes; a killed worker is replaced. */
import { beforeAll, describe, expect, it } from 'vitest';
import { checkAgainst, getJson, python, type Served, useServe } from './helpers.js';

const served = useServe(['--workers', '2']);
let s: Served;
beforeAll(() => {
  s = served();
});

interface WorkerRow {
  pid: number;
  slot: number;
  connections: number;
  alive: boolean;
}

describe('--workers 2', () => {
  it('splits tcp connections over the workers and survives one being killed', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await python('tcp_client.py', [s.ready.ports.tcp, s.ready.secretFile!]);
      expect(r.code, r.stderr).toBe(0);
    }
    const stats = await getJson(s.ready.ports.http, '/stats');
    const workers = stats.endpoints.tcp.detail.workers as WorkerRow[];
    expect(workers).toHaveLength(2);
    expect(workers.map((w) => w.connections)).toEqual([2, 2]);
    expect(workers.map((w) => w.pid)).not.toContain(s.ready.pid);

    const victim = workers[0]!.pid;
    process.kill(victim, 'SIGKILL');
    let restarted: WorkerRow[] = [];
    for (let i = 0; i < 100; i++) {
      const now = await getJson(s.ready.ports.http, '/stats');
      restarted = now.endpoints.tcp.detail.workers;
      if (now.endpoints.tcp.detail.restarts >= 1 && restarted.length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(restarted.map((w) => w.pid)).not.toContain(victim);
    expect(restarted).toHaveLength(2);
    const check = await checkAgainst(s);
    expect(check.code, check.stdout).toBe(0);
    const final = await getJson(s.ready.ports.http, '/stats');
    expect(final.endpoints.tcp.detail.restarts).toBe(1);
    expect(final.endpoints.tcp.detail.history.length).toBe(3);
  }, 40_000);

  it('exits 0 on SIGTERM with its workers', async () => {
    expect(await s.stop()).toBe(0);
  });
});
