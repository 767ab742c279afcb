import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PYTHON as python, requirePeer, runPeer as run } from '@net/test-peers';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectTls, wrapSocket } from '../../src/index.js';
import { devCerts, echo, roundTrip, useCleanups } from '../helpers.js';

const script = fileURLToPath(new URL('./ssl_echo.py', import.meta.url));
const { defer, serve } = useCleanups();

/** Starts ssl_echo.py in a server mode; resolves with its port and a promise of its output. */
async function pythonServer(args: string[]): Promise<{ port: number; done: Promise<string> }> {
  const child = spawn(python, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  defer(() => {
    clearTimeout(timer);
    child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const done = once(child, 'close').then(() => out);
  const deadline = Date.now() + 10_000;
  while (!/^\d+\n/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`python server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port: Number(out.split('\n')[0]), done };
}

describe("interop with Python's ssl module (recipe 11.10 with SSLContext)", () => {
  beforeAll(() =>
    requirePeer(
      python,
      ['-c', 'import ssl, sys; assert sys.version_info >= (3, 9)'],
      'Debian: apt-get install python3',
    ),
  );

  it("Python's echo client verifies our server and passes mutual TLS", async () => {
    const certs = await devCerts();
    const { server, port } = await serve(
      { cert: certs.server.cert, key: certs.server.key, clientCa: certs.caCert },
      echo,
    );
    const files = certs.files;
    const ok = await run(python, [
      script,
      'client',
      String(port),
      files.caCert,
      'localhost',
      files.clientCert ?? '',
      files.clientKey ?? '',
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toMatch(/^Hello World TLSv1\.3$/);
    const wrongName = await run(python, [
      script,
      'client',
      String(port),
      files.caCert,
      'wrong.example',
      files.clientCert ?? '',
      files.clientKey ?? '',
    ]);
    expect(wrongName.stdout).toMatch(/^VERIFY_FAILED Hostname mismatch/);
    expect(server.stats()).toMatchObject({ handshakes: 1 });
  });

  /** A Python server that requires a client certificate, and connectTls options for it. */
  async function mutualPythonServer() {
    const certs = await devCerts();
    const { serverCert, serverKey, caCert } = certs.files;
    const py = await pythonServer(['server', serverCert, serverKey, caCert]);
    const options = {
      host: '127.0.0.1',
      port: py.port,
      servername: 'localhost',
      ca: certs.caCert,
      session: false,
    };
    return { certs, py, options };
  }

  it("connectTls verifies Python's SSLContext server, which requires our client certificate", async () => {
    const { certs, py, options } = await mutualPythonServer();
    const sock = await connectTls({ ...options, cert: certs.client.cert, key: certs.client.key });
    expect(await roundTrip(sock, 'Hello World')).toBe('Hello World');
    expect(await py.done).toContain('PEER dev-client');
  });

  it('a Python server refusing our missing client certificate gives ERR_TLS_CLIENT_CERT_REQUIRED', async () => {
    const { py, options } = await mutualPythonServer();
    const error = await connectTls(options).then(
      async (sock) => {
        const [e] = await once(sock, 'error'); // TLS 1.3: the refusal follows the handshake
        return e;
      },
      (e) => e,
    );
    const { toTlsError } = await import('../../src/index.js');
    expect(toTlsError(error)).toMatchObject({ code: 'ERR_TLS_CLIENT_CERT_REQUIRED' });
    await py.done;
  });

  it('wrapSocket upgrades a plain connection to a Python STARTTLS server', async () => {
    const certs = await devCerts();
    const py = await pythonServer(['starttls', certs.files.serverCert, certs.files.serverKey]);
    const raw = tcpConnect({ host: '127.0.0.1', port: py.port });
    defer(() => raw.destroy());
    await once(raw, 'connect');
    raw.write('STARTTLS\r\n');
    const [answer] = await once(raw, 'data');
    expect(String(answer)).toBe('OK\r\n');
    const upgraded = await wrapSocket(raw, { servername: 'localhost', ca: certs.caCert });
    expect(upgraded.authorized).toBe(true);
    expect(await roundTrip(upgraded, 'after starttls')).toBe('after starttls');
    expect(await py.done).toContain('PEER none');
  });
});
