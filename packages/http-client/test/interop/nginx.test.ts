// Interop with nginx (Debian package `nginx`) serving static files, and curl (Debian
// package `curl`) as the reference for what the headers of a HEAD request are.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '@net/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/index.js';

const NGINX = '/usr/sbin/nginx';
const HTML = '<!doctype html>\n<title>recipe 11.1</title>\n<p>Hello from nginx</p>\n';
const TEXT = 'nginx compresses this line. '.repeat(400);

let dir: string;
let nginx: ChildProcess | undefined;
let base: string;
const s = new Session({ connections: 1 });

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts nginx on a free port; retries with another port if that one was taken meanwhile. */
async function startNginx(): Promise<number> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const conf = `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  types { text/html html; text/plain txt; }
  default_type application/octet-stream;
  gzip on;
  gzip_types text/plain;
  gzip_min_length 1;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/html;
  }
}
`;
    await writeFile(join(dir, 'nginx.conf'), conf);
    const child = spawn(
      NGINX,
      ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    for (let i = 0; i < 100 && !exited; i++) {
      if (await canConnect(port)) {
        nginx = child;
        return port;
      }
      await sleep(50);
    }
    child.kill('SIGKILL');
    if (!stderr.includes('Address already in use')) {
      throw new Error(`nginx did not start: ${stderr || 'no output within 5 s'}`);
    }
  }
  throw new Error('nginx could not find a free port in 5 attempts');
}

beforeAll(async () => {
  if (!existsSync(NGINX)) {
    throw new Error(`${NGINX} not found: install the Debian package nginx (apt-get install nginx)`);
  }
  dir = await mkdtemp(join(tmpdir(), 'http-client-nginx-'));
  await chmod(dir, 0o755); // readable by nginx whatever user it runs as
  await mkdir(join(dir, 'html'), { mode: 0o755 });
  await mkdir(join(dir, 'tmp'), { mode: 0o755 });
  await writeFile(join(dir, 'html', 'index.html'), HTML, { mode: 0o644 });
  await writeFile(join(dir, 'html', 'big.txt'), TEXT, { mode: 0o644 });
  const mtime = new Date('2015-10-21T07:28:00Z');
  await utimes(join(dir, 'html', 'index.html'), mtime, mtime);
  base = `http://127.0.0.1:${await startNginx()}`;
}, 20_000);

afterAll(async () => {
  await s.close();
  if (nginx !== undefined && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx?.once('exit', resolve));
    nginx.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
    if (nginx.exitCode === null) nginx.kill('SIGKILL');
  }
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function curlHead(url: string): Promise<Map<string, string>> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('curl', ['-sS', '-I', '--max-time', '10', url]));
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      throw new Error('curl not found: install the Debian package curl');
    }
    throw error;
  }
  const headers = new Map<string, string>();
  for (const line of stdout.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

describe('nginx static files', () => {
  it('head() reports exactly the last-modified, content-type and content-length curl -I sees', async () => {
    const url = `${base}/index.html`;
    const reference = await curlHead(url);
    const resp = await s.head(url);
    expect(resp.statusCode).toBe(200);
    for (const name of ['last-modified', 'content-type', 'content-length']) {
      expect(reference.get(name)).toBeDefined();
      expect(resp.headers[name]).toBe(reference.get(name));
    }
    expect(resp.headers['Last-Modified']).toBe('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(resp.headers['Content-Length']).toBe(String(Buffer.byteLength(HTML)));
    expect(resp.headers.server).toMatch(/^nginx/);
    // undici would send `connection: close` with a HEAD, and nginx would answer in kind.
    expect(resp.headers.connection).toBe('keep-alive');
    // Asking for gzip explicitly shows the compressed representation's headers instead.
    const zipped = await s.head(url, { headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-length']).toBeUndefined();
  });

  it('get() reads the file', async () => {
    const resp = await s.get(`${base}/index.html`);
    expect(resp.text).toBe(HTML);
    expect(resp.headers['content-type']).toBe('text/html');
    expect(resp.headers.connection).toBe('keep-alive');
  });

  it('decodes nginx gzip responses', async () => {
    const resp = await s.get(`${base}/big.txt`);
    expect(resp.headers['content-encoding']).toBe('gzip');
    expect(resp.text).toBe(TEXT);
  });

  it('a missing file is a 404 that raiseForStatus() turns into ERR_HTTP_STATUS', async () => {
    const resp = await s.get(`${base}/missing.html`);
    expect(resp.statusCode).toBe(404);
    expect(() => resp.raiseForStatus()).toThrowError(
      expect.objectContaining({ code: 'ERR_HTTP_STATUS' }),
    );
  });
});
