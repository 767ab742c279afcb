// HTTP/2 by ALPN (node:http2 server that also speaks HTTP/1.1), Unix sockets, and the
// opt-in RFC 9111 cache, against node servers (nginx covers them in interop/nginx-h2).
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevCertificates, generateDevCertificates } from '@net/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, Session } from '../src/index.js';
import { rejection, startServer, type TestServer } from './helpers.js';

let dir: string;
let certs: DevCertificates;
let h2: Http2SecureServer;
let h2Url: string;
let unix: Server;
let socketPath: string;
let cached: TestServer;
const hits = new Map<string, number>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'http-client-transport-'));
  certs = await generateDevCertificates({ dir, hosts: ['127.0.0.1'] });
  h2 = createSecureServer(
    { cert: certs.server.cert, key: certs.server.key, allowHTTP1: true },
    (req, res) => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('set-cookie', 'h2=1; Path=/');
      res.end(JSON.stringify({ version: req.httpVersion, cookie: req.headers.cookie ?? null }));
    },
  );
  h2.listen(0, '127.0.0.1');
  await once(h2, 'listening');
  h2Url = `https://127.0.0.1:${(h2.address() as { port: number }).port}/`;

  socketPath = join(dir, 'http.sock');
  unix = createHttpServer((req, res) => res.end(`unix ${req.headers.host} ${req.url}`));
  unix.listen(socketPath);
  await once(unix, 'listening');

  cached = await startServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    if (req.url === '/fresh') {
      res.setHeader('cache-control', 'max-age=3600');
      res.end('fresh body');
    } else if (req.url === '/revalidate') {
      res.setHeader('cache-control', 'no-cache');
      res.setHeader('etag', '"v1"');
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304);
        res.end();
      } else {
        res.end('validated body');
      }
    } else {
      res.end('uncacheable');
    }
  });
});

afterAll(async () => {
  h2.close();
  unix.close();
  await cached.close();
  await rm(dir, { recursive: true, force: true });
});

describe('http2', () => {
  it('is offered by ALPN with http2: true; httpVersion says what was used', async () => {
    const s = new Session({ http2: true, tls: { ca: certs.caCert } });
    const r = await s.get(h2Url);
    expect(r.httpVersion).toBe('2');
    expect(r.json()).toMatchObject({ version: '2.0' });
    // Many requests multiplexed over it, cookies kept as over HTTP/1.1.
    const all = await Promise.all(Array.from({ length: 20 }, () => s.get(h2Url)));
    expect(all.every((each) => each.httpVersion === '2' && each.statusCode === 200)).toBe(true);
    expect(all[0]?.json()).toMatchObject({ cookie: 'h2=1' });
    await s.close();
  });

  it('is off by default, and can be asked per request', async () => {
    const s = new Session({ tls: { ca: certs.caCert } });
    const r = await s.get(h2Url);
    expect([r.httpVersion, r.json<{ version: string }>().version]).toEqual(['1.1', '1.1']);
    const two = await s.get(h2Url, { http2: true });
    expect([two.httpVersion, two.json<{ version: string }>().version]).toEqual(['2', '2.0']);
    await s.close();
  });

  it('streams a body over HTTP/2', async () => {
    const r = await get(h2Url, { http2: true, tls: { ca: certs.caCert }, stream: true });
    let text = '';
    for await (const chunk of r.body ?? []) text += Buffer.from(chunk).toString();
    expect(JSON.parse(text)).toMatchObject({ version: '2.0' });
  });

  it('rejects a non-boolean http2', () => {
    expect(() => new Session({ http2: 'yes' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('socketPath', () => {
  it('connects to a Unix socket, the URL giving host and path', async () => {
    const s = new Session({ socketPath });
    expect((await s.get('http://localhost/info?x=1')).text).toBe('unix localhost /info?x=1');
    await s.close();
    expect((await get('http://api.local/v1', { socketPath })).text).toBe('unix api.local /v1');
  });

  it('a missing socket is ERR_CONNECTION; an empty path ERR_INVALID_ARGUMENT', async () => {
    const error = await rejection(() =>
      get('http://localhost/', { socketPath: join(dir, 'none') }),
    );
    expect(error.code).toBe('ERR_CONNECTION');
    expect(() => new Session({ socketPath: '' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('cache', () => {
  it('is off by default: every request reaches the server', async () => {
    const s = new Session({ baseUrl: cached.url });
    hits.clear();
    const first = await s.get('/fresh');
    const second = await s.get('/fresh');
    expect([first.fromCache, second.fromCache, hits.get('/fresh')]).toEqual([false, false, 2]);
    await s.close();
  });

  it('cache: true serves a fresh response from memory', async () => {
    const s = new Session({ baseUrl: cached.url, cache: true });
    hits.clear();
    const first = await s.get('/fresh');
    const second = await s.get('/fresh');
    expect([first.fromCache, second.fromCache]).toEqual([false, true]);
    expect(second.text).toBe('fresh body');
    expect(hits.get('/fresh')).toBe(1);
    await s.close();
  });

  it('revalidates with If-None-Match; a 304 gives the cached body', async () => {
    const s = new Session({ baseUrl: cached.url, cache: true });
    hits.clear();
    const first = await s.get('/revalidate');
    const second = await s.get('/revalidate');
    expect([first.fromCache, second.fromCache]).toEqual([false, true]);
    expect([second.statusCode, second.text]).toEqual([200, 'validated body']);
    expect(hits.get('/revalidate')).toBe(2);
    const other = await s.get('/other');
    expect(other.fromCache).toBe(false);
    await s.close();
  });
});
