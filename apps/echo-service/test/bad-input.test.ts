/** Bad clients on every port: each refused or timed out; everyone else keeps being served. */

import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkAgainst, getJson, python, rss, type Served, useServe } from './helpers.js';

const served = useServe();
let s: Served;
beforeAll(() => {
  s = served();
});

function sendDatagram(port: number, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.send(data, port, '127.0.0.1', (error) => {
      socket.close();
      if (error) reject(error);
      else resolve();
    });
  });
}

describe('bad input', () => {
  it('refuses or times out every bad client, keeps serving, memory stays bounded', async () => {
    const warm = await checkAgainst(s);
    expect(warm.code, warm.stdout).toBe(0);
    const before = await rss(s.ready.pid);
    const { ports, secretFile } = s.ready;
    const secret = secretFile!;
    const cases: [string, (string | number)[]][] = [
      ...(['tcp', 'tls', 'http', 'bulk', 'ipc'] as const).flatMap((name) => [
        ['bad_input.py', ['garbage', ports[name]]] as [string, (string | number)[]],
        ['bad_input.py', ['silent', ports[name]]] as [string, (string | number)[]],
      ]),
      ['bad_input.py', ['tls-stall', ports.tls]],
      ['bad_input.py', ['ipc-2gib', ports.ipc, secret]],
      ['bad_input.py', ['bulk-2gib', ports.bulk]],
      ['tcp_client.py', [ports.tcp, secret, 'wrong']],
      ['ipc_client.py', [ports.ipc, secret, 'wrong']],
    ];
    await Promise.all([
      sendDatagram(ports.udp, randomBytes(60_000)),
      sendDatagram(ports.time, randomBytes(1_000)),
    ]);
    const results = await Promise.all(cases.map(([script, args]) => python(script, args, 40_000)));
    results.forEach((r, i) => {
      expect(r.code, `${cases[i]![1].join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
    });

    const after = await checkAgainst(s);
    expect(after.code, after.stdout).toBe(0);
    const stats = await getJson(ports.http, '/stats');
    expect(stats.endpoints.tcp.failed).toBeGreaterThanOrEqual(3);
    expect(stats.endpoints.ipc.failed).toBeGreaterThanOrEqual(3);
    expect(stats.endpoints.bulk.failed).toBeGreaterThanOrEqual(2);
    // garbage fails its handshake; the silent and the stalled client reach the deadline
    expect(stats.endpoints.tls.detail.handshakeFailures).toBeGreaterThanOrEqual(1);
    expect(stats.endpoints.tls.detail.timeouts).toBeGreaterThanOrEqual(2);
    expect(stats.endpoints.tls.failed).toBeGreaterThanOrEqual(3);
    const growth = (await rss(s.ready.pid)) - before;
    expect(growth).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);
});
