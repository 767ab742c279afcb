/**
 * Scale-out: two `serve` instances sharing one secret and one certificate, behind nginx
 * running deploy/nginx.conf (ports rewritten for the test); `net-echo check` through nginx
 * passes and both instances took tcp connections.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDevCertificates } from '@net/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, ENDPOINTS, type Endpoint } from '../src/config.js';
import { cli, getJson, python, type Served, serve } from './helpers.js';

const NGINX = '/usr/sbin/nginx';
const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';
const CONF = join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'nginx.conf');
const NAMES = ENDPOINTS;
type Name = Endpoint;
/** The ports deploy/nginx.conf uses: `serve`'s defaults. */
const DEFAULT_PORT = DEFAULT_PORTS;
const UDP = new Set<Name>(['udp', 'time']);

/** A free loopback port (tcp or udp), released before it is returned. */
async function freePort(udp: boolean): Promise<number> {
  if (udp) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    return port;
  }
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** deploy/nginx.conf for this test: instance and listen ports rewritten, files in `dir`. */
function render(conf: string, instances: Served[], listen: Record<Name, number>, dir: string) {
  let out = conf;
  for (const name of NAMES) {
    const port = DEFAULT_PORT[name];
    instances.forEach((instance, i) => {
      out = out.replaceAll(
        `server INSTANCE_${i + 1}:${port};`,
        `server 127.0.0.1:${instance.ready.ports[name]};`,
      );
    });
    const udp = UDP.has(name) ? ' udp' : '';
    out = out.replace(`listen ${port}${udp};`, `listen 127.0.0.1:${listen[name]}${udp};`);
  }
  const directives = out.replace(/#.*$/gm, '');
  if (/INSTANCE_\d|listen 70\d\d/.test(directives)) {
    throw new Error(`unrewritten placeholder:\n${out}`);
  }
  out = out.replace('worker_processes auto;', 'worker_processes 1;');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `    ${t}_temp_path ${join(dir, t)};`)
    .join('\n');
  out = out.replace('http {\n', `http {\n    access_log off;\n${temp}\n`);
  return `daemon off;\nmaster_process off;\npid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'error.log')} info;\n${out}`;
}

/** Resolves once a tcp connection to the port succeeds (bounded). */
async function waitForPort(port: number, nginx: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited (${nginx.exitCode}):\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nginx does not listen on ${port}:\n${log()}`);
}

let dir: string;
let secretFile: string;
let certs: Awaited<ReturnType<typeof generateDevCertificates>>;
const instances: Served[] = [];
let nginx: ChildProcess | undefined;
let nginxExited: Promise<unknown> = Promise.resolve();
let nginxLog = '';
const listen = {} as Record<Name, number>;

beforeAll(async () => {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: install the Debian package nginx`);
  if (!existsSync(STREAM_MODULE)) {
    throw new Error(
      `${STREAM_MODULE} is missing: install the Debian package libnginx-mod-stream (nginx's stream module)`,
    );
  }
  dir = await mkdtemp(join(tmpdir(), 'net-echo-scale-'));
  secretFile = join(dir, 'secret');
  await writeFile(secretFile, randomBytes(32), { mode: 0o600 });
  certs = await generateDevCertificates({ dir: join(dir, 'certs') });
  const shared = [
    '--secret-file',
    secretFile,
    '--cert',
    certs.files.serverCert,
    '--key',
    certs.files.serverKey,
    '--ca-cert',
    certs.files.caCert,
  ];
  instances.push(await serve(shared), await serve(shared));
  // Distinct ports: a port released by one freePort() may come back from the next, and
  // nginx refuses a duplicate listen address.
  const taken = new Set<number>();
  for (const name of NAMES) {
    let port = await freePort(UDP.has(name));
    for (let tries = 0; taken.has(port) && tries < 20; tries++)
      port = await freePort(UDP.has(name));
    if (taken.has(port)) throw new Error('could not find distinct free loopback ports');
    taken.add(port);
    listen[name] = port;
  }
  const confFile = join(dir, 'nginx.conf');
  await writeFile(confFile, render(await readFile(CONF, 'utf8'), instances, listen, dir));
  await mkdir(join(dir, 'logs'), { recursive: true });
  nginx = spawn(NGINX, ['-p', dir, '-c', confFile, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  nginx.stderr!.setEncoding('utf8').on('data', (t: string) => {
    nginxLog += t;
  });
  nginxExited = new Promise((resolve) => nginx!.once('exit', resolve));
  // (the http port: a probe of tcp would count as a client that never authenticated)
  await waitForPort(listen.http, nginx, () => nginxLog);
}, 60_000);

afterAll(async () => {
  if (nginx && nginx.exitCode === null && nginx.signalCode === null) {
    nginx.kill('SIGTERM');
    const timer = setTimeout(() => nginx?.kill('SIGKILL'), 5_000);
    await nginxExited;
    clearTimeout(timer);
  }
  await Promise.all(instances.map((s) => s.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
}, 30_000);

describe('two instances behind nginx (deploy/nginx.conf)', () => {
  it('both report the shared CA; check passes through nginx; both took tcp connections', async () => {
    for (const s of instances) {
      expect(s.ready.caCert).toBe(certs.files.caCert);
      expect(s.ready.secretFile).toBe(secretFile);
    }
    const portFlags = NAMES.flatMap((name) => [`--${name}-port`, String(listen[name])]);
    const check = await cli(
      [
        'check',
        '--host',
        '127.0.0.1',
        ...portFlags,
        '--secret-file',
        secretFile,
        '--ca',
        certs.files.caCert,
        '--state-dir',
        dir,
        '--bulk-bytes',
        '65536',
        '--timeout',
        '10000',
      ],
      { timeout: 60_000 },
    );
    expect(check.code, `${check.stdout}${check.stderr}\n${nginxLog}`).toBe(0);
    expect(check.stdout).toMatch(/^tls\s+ok/m);
    // more tcp clients through nginx, so that both instances get some
    for (let i = 0; i < 3; i++) {
      const r = await python('tcp_client.py', [listen.tcp, secretFile]);
      expect(r.code, r.stderr).toBe(0);
    }
    const stats = await Promise.all(instances.map((s) => getJson(s.ready.ports.http, '/stats')));
    for (const st of stats) {
      expect(st.endpoints.tcp.accepted).toBeGreaterThanOrEqual(1);
      expect(st.endpoints.tcp.authFailures).toBe(0);
    }
    const total = (name: Name, field: string) =>
      stats.reduce((sum, st) => sum + st.endpoints[name][field], 0);
    expect(total('tcp', 'accepted')).toBe(4);
    expect(total('tls', 'accepted')).toBe(1);
    expect(total('bulk', 'bytesIn')).toBe(65_536 + 128); // the array and its .npy header
    expect(total('ipc', 'messages')).toBeGreaterThanOrEqual(1);
    expect(total('udp', 'messages')).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('refuses --cert without --key with ERR_CERTIFICATE', async () => {
    const r = await cli(['serve', '--cert', certs.files.serverCert, '--state-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_CERTIFICATE');
    expect(r.stderr).toContain('--key');
  });
});
