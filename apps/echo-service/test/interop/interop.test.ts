/** Independent clients (Python stdlib, NumPy, openssl, curl) against the real CLI. */
import { beforeAll, describe, expect, it } from 'vitest';
import { numpyPython, python, run, type Served, useServe } from '../helpers.js';

const served = useServe();
let s: Served;
beforeAll(() => {
  s = served();
});

describe('independent clients', () => {
  it('tcp: Python socket + hmac (recipe 11.9), and a wrong key is refused', async () => {
    const ok = await python('tcp_client.py', [s.ready.ports.tcp, s.ready.secretFile!]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('OK tcp 100000');
    const wrong = await python('tcp_client.py', [s.ready.ports.tcp, s.ready.secretFile!, 'wrong']);
    expect(wrong.code, wrong.stderr).toBe(0);
    expect(wrong.stdout).toContain('OK refused');
  });

  it('tls: Python ssl verifies the dev CA for localhost and 127.0.0.1', async () => {
    for (const name of ['localhost', '127.0.0.1']) {
      const r = await python('tls_client.py', [s.ready.ports.tls, s.ready.caCert, name]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/OK tls TLSv1\.[23] 50000/);
    }
  });

  it('tls: openssl s_client verifies the chain and gets the echo', async () => {
    const r = await run(
      'openssl',
      [
        's_client',
        '-connect',
        `127.0.0.1:${s.ready.ports.tls}`,
        '-CAfile',
        s.ready.caCert,
        '-verify_return_error',
        '-verify_hostname',
        'localhost',
        '-quiet',
      ],
      { input: 'hello over openssl\n', timeout: 15_000 },
    );
    expect(r.stdout).toContain('hello over openssl');
    expect(r.stderr).toContain('verify return:1');
  });

  it('udp and time: Python socket; the time parses with time.strptime', async () => {
    const r = await python('udp_client.py', [s.ready.ports.udp, s.ready.ports.time]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/OK udp\+time \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}/);
  });

  it('http: curl -I shows the headers of GET /', async () => {
    const head = await run('curl', ['-sS', '-I', `http://127.0.0.1:${s.ready.ports.http}/`]);
    expect(head.code, head.stderr).toBe(0);
    expect(head.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(head.stdout).toMatch(/content-type: text\/html/i);
    expect(head.stdout).toMatch(/content-length: \d+/i);
    expect(head.stdout).toMatch(/last-modified: \w{3}, \d\d \w{3} \d{4}/i);
    const echo = await run('curl', [
      '-sS',
      '-H',
      'content-type: text/x-test',
      '--data-binary',
      'curl body',
      '-D',
      '-',
      `http://127.0.0.1:${s.ready.ports.http}/echo`,
    ]);
    // Never the request's type back: the echo is bytes, and the browser must not sniff it.
    expect(echo.stdout).toMatch(/content-type: application\/octet-stream/i);
    expect(echo.stdout).toMatch(/x-content-type-options: nosniff/i);
    expect(echo.stdout.endsWith('curl body')).toBe(true);
    // curl -I on the JSON and metrics routes: HEAD wherever GET works.
    for (const path of ['/health', '/stats', '/metrics']) {
      const r = await run('curl', ['-sS', '-I', `http://127.0.0.1:${s.ready.ports.http}${path}`]);
      expect(r.stdout, path).toMatch(/^HTTP\/1\.1 200/);
    }
    // curl with a foreign Host header: 421.
    const foreign = await run('curl', [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-H',
      'Host: evil.example',
      `http://127.0.0.1:${s.ready.ports.http}/stats`,
    ]);
    expect(foreign.stdout).toBe('421');
  });

  it('http: Python urllib (/, HEAD, /health, /stats, /echo, 413, 404, 405)', async () => {
    const r = await python('http_client.py', [s.ready.ports.http, 65536]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('OK http');
  });

  it('bulk: NumPy arrays (.npy) come back equal, big-endian and bool included', async () => {
    const r = await numpyPython('bulk_client.py', [s.ready.ports.bulk]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('OK bulk 4');
  });

  it('ipc: multiprocessing.connection.Client, and a wrong authkey is refused', async () => {
    const ok = await python('ipc_client.py', [s.ready.ports.ipc, s.ready.secretFile!]);
    expect(ok.code, ok.stderr).toBe(0);
    const wrong = await python('ipc_client.py', [s.ready.ports.ipc, s.ready.secretFile!, 'wrong']);
    expect(wrong.code, wrong.stderr).toBe(0);
    expect(wrong.stdout).toContain('OK refused');
  });
});
