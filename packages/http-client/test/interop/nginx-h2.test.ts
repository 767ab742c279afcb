// Interop with nginx (Debian package `nginx`, built with http_v2 and ssl) over TLS with
// certificates from @net/tls: HTTP/2 by ALPN, several streams on one connection, a large
// body under h2 flow control, and the RFC 9111 cache (`cache: true`) against nginx's
// `expires` and `etag` headers. nginx's access log ($server_protocol, $status, $connection)
// is the independent witness of what reached the server and how.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DevCertificates, generateDevCertificates } from '@net/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session, type SessionOptions } from '../../src/index.js';
import { type ListeningPeer, startNginx } from './listening-peer.js';

const TEXT = 'served by nginx over TLS\n'.repeat(40);
const LARGE = randomBytes(8 << 20);

let dir: string;
let certs: DevCertificates;
let nginx: ListeningPeer | undefined;
let base: string;
const sessions: Session[] = [];

/** A session trusting the dev CA, closed in afterAll. */
function session(options: SessionOptions = {}): Session {
  const s = new Session({ ...options, tls: { ca: certs.caCert } });
  sessions.push(s);
  return s;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'http-client-nginx-h2-'));
  await chmod(dir, 0o755); // readable by nginx whatever user it runs as
  certs = await generateDevCertificates({ dir: join(dir, 'certs'), hosts: ['127.0.0.1'] });
  for (const sub of ['tmp', 'html', 'html/plain', 'html/max-age', 'html/no-cache']) {
    await mkdir(join(dir, sub), { mode: 0o755 });
  }
  // Modified long ago, as files on a server are: undici's cache does not store a no-cache
  // response whose Last-Modified is this very second (its heuristic freshness, a tenth of
  // the file's age, has run out by the time it decides).
  const mtime = new Date('2015-10-21T07:28:00Z');
  for (const sub of ['plain', 'max-age', 'no-cache']) {
    const file = join(dir, 'html', sub, 'file.txt');
    await writeFile(file, TEXT, { mode: 0o644 });
    await utimes(file, mtime, mtime);
  }
  await writeFile(join(dir, 'html', 'plain', 'large.bin'), LARGE, { mode: 0o644 });
  nginx = await startNginx(
    dir,
    (port) =>
      // `listen ... ssl http2` is nginx 1.22's spelling (`http2 on;` came in 1.25.1).
      `
  log_format probe escape=none '$request_method|$request_uri|$status|$server_protocol|$connection|$http_if_none_match';
  access_log ${dir}/access.log probe;
  types { text/plain txt; application/octet-stream bin; }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${certs.files.serverCert};
    ssl_certificate_key ${certs.files.serverKey};
    root ${dir}/html;
    location /max-age/ { expires 1h; }
    location /no-cache/ { etag on; add_header Cache-Control no-cache; }
    location /plain/ { }
  }`,
  );
  base = `https://127.0.0.1:${nginx.port}`;
}, 30_000);

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await nginx?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** One line of nginx's access log, in the `probe` format above. */
interface Logged {
  method: string;
  uri: string;
  status: number;
  protocol: string;
  connection: string;
  ifNoneMatch: string;
}

let sentinels = 0;
let sentinelSession: Session | undefined;

/**
 * nginx's access log, once it has logged every request answered so far: nginx logs a
 * request after answering it, so a fresh sentinel request is sent and waited for (one
 * worker: everything answered before the sentinel was sent is logged before it).
 */
async function accessLog(): Promise<Logged[]> {
  const sentinel = `/plain/file.txt?sentinel=${++sentinels}`;
  sentinelSession ??= session();
  await sentinelSession.get(`${base}${sentinel}`);
  for (let i = 0; i < 100; i++) {
    const lines = (await readFile(join(dir, 'access.log'), 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [method, uri, status, protocol, connection, ifNoneMatch] = line.split('|');
        return {
          method: method ?? '',
          uri: uri ?? '',
          status: Number(status),
          protocol: protocol ?? '',
          connection: connection ?? '',
          ifNoneMatch: ifNoneMatch ?? '',
        };
      });
    if (lines.some((line) => line.uri === sentinel)) return lines;
    await sleep(20);
  }
  throw new Error(`nginx did not log ${sentinel} within 2 s`);
}

/** The access log lines for `uri` (see {@link accessLog}). */
async function logged(uri: string): Promise<Logged[]> {
  return (await accessLog()).filter((line) => line.uri === uri);
}

describe('HTTP/2 against nginx', () => {
  it('http2: true on the session: the response and nginx both say HTTP/2', async () => {
    const r = await session({ http2: true }).get(`${base}/plain/file.txt?case=session-h2`);
    expect(r.statusCode).toBe(200);
    expect(r.httpVersion).toBe('2');
    expect(r.text).toBe(TEXT);
    const lines = await logged('/plain/file.txt?case=session-h2');
    expect(lines.map((line) => [line.status, line.protocol])).toEqual([[200, 'HTTP/2.0']]);
  });

  it('without http2 the same nginx is spoken to in HTTP/1.1', async () => {
    const r = await session().get(`${base}/plain/file.txt?case=session-h1`);
    expect(r.httpVersion).toBe('1.1');
    expect(r.text).toBe(TEXT);
    const lines = await logged('/plain/file.txt?case=session-h1');
    expect(lines.map((line) => [line.status, line.protocol])).toEqual([[200, 'HTTP/1.1']]);
  });

  it('http2: true on one request of a session without it', async () => {
    const s = session();
    const h2 = await s.get(`${base}/plain/file.txt?case=request-h2`, { http2: true });
    const h1 = await s.get(`${base}/plain/file.txt?case=request-h1`);
    expect([h2.httpVersion, h1.httpVersion]).toEqual(['2', '1.1']);
    expect(h2.text).toBe(TEXT);
    expect((await logged('/plain/file.txt?case=request-h2'))[0]?.protocol).toBe('HTTP/2.0');
    expect((await logged('/plain/file.txt?case=request-h1'))[0]?.protocol).toBe('HTTP/1.1');
  });

  it('concurrent requests share one h2 connection (connections: 1), all succeed', async () => {
    const s = session({ http2: true, connections: 1 });
    const uris = Array.from({ length: 12 }, (_, i) => `/plain/file.txt?case=concurrent-${i}`);
    const responses = await Promise.all(uris.map((uri) => s.get(`${base}${uri}`)));
    for (const r of responses) {
      expect(r.statusCode).toBe(200);
      expect(r.httpVersion).toBe('2');
      expect(r.text).toBe(TEXT);
    }
    const lines = (await accessLog()).filter((line) => uris.includes(line.uri));
    expect(lines).toHaveLength(uris.length);
    expect(lines.every((line) => line.protocol === 'HTTP/2.0' && line.status === 200)).toBe(true);
    // nginx's connection serial number: the same for all, so one connection carried them.
    expect(new Set(lines.map((line) => line.connection)).size).toBe(1);
  });

  it('an 8 MiB file over h2 arrives intact, buffered and with stream: true', async () => {
    const s = session({ http2: true });
    const buffered = await s.get(`${base}/plain/large.bin?case=buffered`);
    expect(buffered.httpVersion).toBe('2');
    expect(Buffer.from(buffered.content).equals(LARGE)).toBe(true);

    const streamed = await s.get(`${base}/plain/large.bin?case=stream`, { stream: true });
    expect(streamed.httpVersion).toBe('2');
    const chunks: Uint8Array[] = [];
    for await (const chunk of streamed.body ?? []) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(LARGE)).toBe(true);
    const lines = await logged('/plain/large.bin?case=stream');
    expect(lines.map((line) => [line.status, line.protocol])).toEqual([[200, 'HTTP/2.0']]);
  });
});

describe.each([
  { http2: true, version: '2', protocol: 'HTTP/2.0' },
  { http2: false, version: '1.1', protocol: 'HTTP/1.1' },
])('cache: true against nginx, http2: $http2', ({ http2, version, protocol }) => {
  it('a max-age file (expires 1h) is fetched once, then served from the cache', async () => {
    const s = session({ http2, cache: true });
    const uri = `/max-age/file.txt?case=fresh-h${version}`;
    const first = await s.get(`${base}${uri}`);
    expect(first.headers['cache-control']).toBe('max-age=3600');
    expect(first.fromCache).toBe(false);
    const second = await s.get(`${base}${uri}`);
    expect(second.statusCode).toBe(200);
    expect(second.fromCache).toBe(true);
    expect(second.text).toBe(TEXT);
    expect(second.httpVersion).toBe(version);
    const lines = await logged(uri);
    expect(lines.map((line) => [line.status, line.protocol])).toEqual([[200, protocol]]);
  });

  it('a no-cache file with an ETag is revalidated: nginx answers 304, the client gets 200 from the cache', async () => {
    const s = session({ http2, cache: true });
    const uri = `/no-cache/file.txt?case=revalidate-h${version}`;
    const first = await s.get(`${base}${uri}`);
    expect(first.headers['cache-control']).toBe('no-cache');
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"/);
    expect(first.fromCache).toBe(false);
    const second = await s.get(`${base}${uri}`);
    expect(second.statusCode).toBe(200);
    expect(second.text).toBe(TEXT);
    const lines = await logged(uri);
    expect(second.fromCache).toBe(true);
    expect(lines.map((line) => [line.status, line.protocol, line.ifNoneMatch])).toEqual([
      [200, protocol, ''], // no If-None-Match on the first request
      [304, protocol, etag],
    ]);
  });

  it('without cache, both requests for the max-age file reach nginx', async () => {
    const s = session({ http2 });
    const uri = `/max-age/file.txt?case=uncached-h${version}`;
    const responses = [await s.get(`${base}${uri}`), await s.get(`${base}${uri}`)];
    expect(responses.map((r) => [r.fromCache, r.text === TEXT])).toEqual([
      [false, true],
      [false, true],
    ]);
    const lines = await logged(uri);
    expect(lines.map((line) => [line.status, line.protocol])).toEqual([
      [200, protocol],
      [200, protocol],
    ]);
  });
});
