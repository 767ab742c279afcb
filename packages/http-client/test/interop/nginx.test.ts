// Interop with nginx (Debian package `nginx`) serving static files, and curl (Debian
// package `curl`) as the reference for what the headers of a HEAD request are.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/index.js';
import { type ListeningPeer, startNginx } from './listening-peer.js';

const HTML = '<!doctype html>\n<title>recipe 11.1</title>\n<p>Hello from nginx</p>\n';
const TEXT = 'nginx compresses this line. '.repeat(400);

let dir: string;
let nginx: ListeningPeer | undefined;
let base: string;
const s = new Session({ connections: 1 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'http-client-nginx-'));
  await chmod(dir, 0o755); // readable by nginx whatever user it runs as
  await mkdir(join(dir, 'html'), { mode: 0o755 });
  await mkdir(join(dir, 'tmp'), { mode: 0o755 });
  await writeFile(join(dir, 'html', 'index.html'), HTML, { mode: 0o644 });
  await writeFile(join(dir, 'html', 'big.txt'), TEXT, { mode: 0o644 });
  const mtime = new Date('2015-10-21T07:28:00Z');
  await utimes(join(dir, 'html', 'index.html'), mtime, mtime);
  nginx = await startNginx(
    dir,
    (port) => `
  access_log off;
  types { text/html html; text/plain txt; }
  default_type application/octet-stream;
  gzip on;
  gzip_types text/plain;
  gzip_min_length 1;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/html;
  }`,
  );
  base = `http://127.0.0.1:${nginx.port}`;
}, 20_000);

afterAll(async () => {
  await s.close();
  await nginx?.stop();
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
