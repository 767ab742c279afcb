import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

describe('net-echo demo', () => {
  it('serves on free ports, checks every endpoint, prints the table and exits 0', async () => {
    const env = { ...process.env };
    delete env.NET_ECHO_SECRET;
    const r = await cli(['demo', '--bulk-bytes', '8388608'], { timeout: 60_000, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^endpoint\s+result\s+latency \/ throughput$/m);
    for (const name of ['tcp', 'tls', 'udp', 'time', 'http', 'bulk', 'ipc']) {
      expect(r.stdout).toMatch(new RegExp(`^${name}\\s+ok\\s+\\S`, 'm'));
    }
    expect(r.stdout).toMatch(/^bulk\s+ok\s+\d+ MB\/s \(8 MiB each way\)$/m);
    expect(r.stdout).toContain('all endpoints passed');
  }, 60_000);
});
