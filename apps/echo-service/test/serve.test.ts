import { stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkAgainst, cli, getJson, python, type Served, serve } from './helpers.js';

const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
async function start(extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const served = await serve(extra, env);
  running.push(served);
  return served;
}

describe('net-echo serve', () => {
  it('prints exactly one ready line, passes its own check and counts in /stats', async () => {
    const s = await start();
    expect(Object.keys(s.ready)).toEqual(['event', 'ports', 'caCert', 'secretFile', 'pid']);
    expect(s.ready.event).toBe('ready');
    expect(Object.keys(s.ready.ports)).toEqual([
      'tcp',
      'tls',
      'udp',
      'time',
      'http',
      'bulk',
      'ipc',
    ]);
    for (const port of Object.values(s.ready.ports)) expect(port).toBeGreaterThan(0);
    expect(s.ready.pid).toBe(s.child.pid);
    expect(s.ready.caCert).toBe(`${s.stateDir}/certs/ca.crt`);
    expect(s.ready.secretFile).toBe(`${s.stateDir}/secret`);
    expect((await stat(s.ready.secretFile!)).mode & 0o777).toBe(0o600);

    const result = await checkAgainst(s);
    expect(result.stderr).toContain('bulk round trip 100%');
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const rows = result.stdout.trim().split('\n').slice(2);
    expect(rows.map((r) => r.split(/\s+/).slice(0, 2))).toEqual(
      ['tcp', 'tls', 'udp', 'time', 'http', 'bulk', 'ipc'].map((name) => [name, 'ok']),
    );

    const stats = await getJson(s.ready.ports.http, '/stats');
    expect(stats.endpoints.tcp.bytesIn).toBeGreaterThan(0);
    // wire bytes: the 4 MiB array and its .npy header (128 bytes, as NumPy pads it)
    expect(stats.endpoints.bulk.bytesOut).toBe(4 * 1024 * 1024 + 128);
    expect(stats.endpoints.bulk.messages).toBe(1);
    expect(stats.endpoints.ipc.accepted).toBe(1);
    expect(typeof stats.loop.delayP99Ms).toBe('number');
    expect(typeof stats.loop.utilization).toBe('number');
    // stdout carried nothing but the ready line
    expect(s.stderr()).toContain('ready');
  });

  it('takes the secret from NET_ECHO_SECRET (secretFile null) or --secret-file', async () => {
    const a = await start([], { NET_ECHO_SECRET: 'env-secret-0123456789' });
    expect(a.ready.secretFile).toBeNull();
    const keyFile = `${a.stateDir}/given.key`;
    await writeFile(keyFile, 'env-secret-0123456789', { mode: 0o600 });
    const ok = await python('tcp_client.py', [a.ready.ports.tcp, keyFile]);
    expect(ok.code, ok.stderr).toBe(0);
    const check = await checkAgainst(a, ['--secret-file', keyFile]);
    expect(check.code, check.stdout).toBe(0);

    const b = await start(['--secret-file', keyFile]);
    expect(b.ready.secretFile).toBe(keyFile);
    const ipc = await python('ipc_client.py', [b.ready.ports.ipc, keyFile]);
    expect(ipc.code, ipc.stderr).toBe(0);
  });

  it('exits 0 on SIGTERM while clients are connected', async () => {
    const s = await start();
    const sockets = (['tcp', 'tls', 'http', 'bulk', 'ipc'] as const).map((name) => {
      const socket = connect(s.ready.ports[name], '127.0.0.1');
      socket.on('error', () => {});
      return new Promise<typeof socket>((resolve) => socket.once('connect', () => resolve(socket)));
    });
    const open = await Promise.all(sockets);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.stderr()).toContain('closed');
    for (const socket of open) socket.destroy();
  });

  it('reports usage errors with exit code 2 and ERR_USAGE', async () => {
    const unknown = await cli(['nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('ERR_USAGE');
    const badPort = await cli(['serve', '--tcp-port', '70000']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--tcp-port');
    const badFlag = await cli(['check', '--secret', 'x']);
    expect(badFlag.code).toBe(2);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('net-echo serve');
  });

  it('fails to start with ERR_START when a port is taken', async () => {
    const s = await start();
    const second = await cli([
      'serve',
      '--tcp-port',
      String(s.ready.ports.tcp),
      '--state-dir',
      s.stateDir,
    ]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('ERR_START');
  });
});

describe('net-echo serve --client-ca', () => {
  it('requires a client certificate signed by that CA on the tls endpoint', async () => {
    const a = await start();
    const b = await start(['--client-ca', a.ready.caCert]);
    const withA = await checkAgainst(b, [
      '--client-cert',
      `${a.stateDir}/certs/client.crt`,
      '--client-key',
      `${a.stateDir}/certs/client.key`,
    ]);
    expect(withA.code, withA.stdout).toBe(0);
    // b's own client certificate is signed by b's CA, which b does not accept for clients
    const withB = await checkAgainst(b);
    expect(withB.code).toBe(1);
    expect(withB.stdout).toMatch(/^tls\s+FAIL /m);
    expect(withB.stdout).toMatch(/^tcp\s+ok/m);
    const python3 = await python('tls_client.py', [b.ready.ports.tls, b.ready.caCert, 'localhost']);
    expect(python3.code).not.toBe(0);
  }, 30_000);
});

describe('net-echo serve --shed-delay-ms', () => {
  it('sheds load while the loop lags: HTTP 503 (health still 200), tcp and bulk refused', async () => {
    // The loop monitor samples every 10 ms, so a 1 ms limit always counts as lagging.
    const s = await start(['--shed-delay-ms', '1']);
    let stats = await getJson(s.ready.ports.http, '/stats');
    for (let i = 0; i < 50 && !stats.loop.underPressure; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stats = await getJson(s.ready.ports.http, '/stats');
    }
    expect(stats.loop.underPressure).toBe(true);
    const busy = await fetch(`http://127.0.0.1:${s.ready.ports.http}/`);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect((await fetch(`http://127.0.0.1:${s.ready.ports.http}/health`)).status).toBe(200);
    const tcp = await python('tcp_client.py', [s.ready.ports.tcp, s.ready.secretFile!]);
    expect(tcp.code).not.toBe(0);
    const after = await getJson(s.ready.ports.http, '/stats');
    expect(after.endpoints.tcp.refused).toBeGreaterThanOrEqual(1);
    expect(after.endpoints.http.refused).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
