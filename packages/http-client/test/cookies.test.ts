// Cookies through tough-cookie: a jar per Session, per call for the top-level functions,
// and RFC 6265's rules (domain, path, expiry, SameSite) across redirects between hosts.

import { CookieJar } from 'tough-cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, Session } from '../src/index.js';
import { startServer, type TestServer } from './helpers.js';

let a: TestServer; // reached as 127.0.0.1
let b: TestServer; // reached as localhost: another host, so another cookie domain
let bUrl: string;
const seen: Array<{ server: string; path: string; cookie: string | undefined }> = [];

beforeAll(async () => {
  a = await startServer((req, res) => {
    seen.push({ server: 'a', path: req.url ?? '', cookie: req.headers.cookie });
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/login') {
      res.writeHead(302, { location: '/home', 'set-cookie': 'sid=s3cret; Path=/; HttpOnly' });
      res.end();
    } else if (url.pathname === '/home') {
      res.writeHead(req.headers.cookie === 'sid=s3cret' ? 200 : 401);
      res.end(req.headers.cookie === 'sid=s3cret' ? 'welcome' : 'log in first');
    } else if (url.pathname === '/set') {
      res.setHeader('set-cookie', [
        'a=1; Path=/',
        'api=2; Path=/api',
        'gone=3; Path=/; Max-Age=0',
        'old=4; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
        'bad cookie without equals',
      ]);
      res.end();
    } else if (url.pathname === '/to-b') {
      const status = Number(url.searchParams.get('status') ?? 302);
      res.writeHead(status, { location: `${bUrl}/echo`, 'set-cookie': 'froma=1; Path=/' });
      res.end();
    } else {
      res.end(req.headers.cookie ?? '');
    }
  });
  b = await startServer((req, res) => {
    seen.push({ server: 'b', path: req.url ?? '', cookie: req.headers.cookie });
    if (req.url === '/set') {
      res.setHeader('set-cookie', [
        'strict=1; Path=/; SameSite=Strict',
        'lax=1; Path=/; SameSite=Lax',
        'none=1; Path=/; SameSite=None; Secure',
        'plain=1; Path=/',
      ]);
    }
    res.end(req.headers.cookie ?? '');
  });
  bUrl = `http://localhost:${b.port}`;
});

afterAll(async () => {
  await a.close();
  await b.close();
});

function lastSeen(server: string, path: string) {
  return seen.filter((entry) => entry.server === server && entry.path === path).at(-1);
}

describe('a Session keeps cookies', () => {
  it('in session.cookies, a tough-cookie CookieJar, and sends them back', async () => {
    const s = new Session({ baseUrl: a.url });
    expect(s.cookies).toBeInstanceOf(CookieJar);
    expect((await s.post('/login')).text).toBe('welcome');
    expect((await s.get('/echo')).text).toBe('sid=s3cret');
    expect(await s.cookies?.getCookieString(`${a.url}/`)).toBe('sid=s3cret');
    await s.close();
  });

  it('by path and expiry; a malformed Set-Cookie is skipped', async () => {
    const s = new Session({ baseUrl: a.url });
    await s.get('/set');
    expect((await s.get('/echo')).text).toBe('a=1');
    expect((await s.get('/api/echo')).text).toBe('api=2; a=1');
    await s.close();
  });

  it('that you set through session.cookies, before any response set one', async () => {
    const s = new Session({ baseUrl: a.url });
    await s.cookies?.setCookie('seeded=1; Path=/', `${a.url}/`);
    expect((await s.get('/echo')).text).toBe('seeded=1');
    const other = new Session({ baseUrl: a.url });
    other.cookies?.setCookieSync('sync=1; Path=/', `${a.url}/`);
    expect((await other.get('/echo')).text).toBe('sync=1');
    await s.close();
    await other.close();
  });

  it('merges them with a cookie header of your own', async () => {
    const s = new Session({ baseUrl: a.url });
    await s.get('/set');
    expect((await s.get('/echo', { headers: { cookie: 'mine=1' } })).text).toBe('mine=1; a=1');
    await s.close();
  });

  it('not with cookies: false', async () => {
    const s = new Session({ baseUrl: a.url, cookies: false });
    expect(s.cookies).toBeUndefined();
    expect((await s.post('/login')).statusCode).toBe(401);
    expect((await s.get('/echo')).text).toBe('');
    await s.close();
  });

  it('in a jar you give, shared by two sessions', async () => {
    const jar = new CookieJar();
    const one = new Session({ baseUrl: a.url, cookies: jar });
    const two = new Session({ baseUrl: a.url, cookies: jar });
    expect(one.cookies).toBe(jar);
    await one.post('/login');
    expect((await two.get('/echo')).text).toBe('sid=s3cret');
    await one.close();
    await two.close();
  });

  it('rejects a cookies option that is not a boolean or a CookieJar', () => {
    expect(() => new Session({ cookies: {} as CookieJar })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('the top-level functions', () => {
  it('keep cookies across the redirects of one call (a login answering 302 + Set-Cookie)', async () => {
    const response = await post(`${a.url}/login`);
    expect(response.text).toBe('welcome');
    expect(response.history.map((r) => r.statusCode)).toEqual([302]);
  });

  it('but never from one call to the next (unrelated callers share them)', async () => {
    await post(`${a.url}/login`);
    expect((await get(`${a.url}/echo`)).text).toBe('');
  });
});

describe('across hosts on redirects', () => {
  it('a cookie of one host is not sent to another', async () => {
    const s = new Session();
    await s.get(`${a.url}/login`, { allowRedirects: false });
    const response = await s.get(`${a.url}/to-b`);
    expect(response.url).toBe(`${bUrl}/echo`);
    expect(lastSeen('b', '/echo')?.cookie).toBeUndefined();
    // The cookie A set on the redirect itself was stored for A only.
    expect(await s.cookies?.getCookieString(`${a.url}/`)).toBe('sid=s3cret; froma=1');
    expect(await s.cookies?.getCookieString(`${bUrl}/`)).toBe('');
    await s.close();
  });

  it('nor a cookie header of your own (dropped with the other credentials)', async () => {
    await get(`${a.url}/to-b`, { headers: { cookie: 'mine=1' } });
    expect(lastSeen('b', '/echo')?.cookie).toBeUndefined();
  });

  it('SameSite: a cross-site GET redirect sends Lax cookies, a cross-site POST (307) neither', async () => {
    const s = new Session();
    await s.get(`${bUrl}/set`);
    // Straight to B: same-site, every cookie (tough-cookie treats http://localhost as a
    // secure context, so the Secure one too).
    expect((await s.get(`${bUrl}/echo`)).text.split('; ').sort()).toEqual(
      ['lax=1', 'none=1', 'plain=1', 'strict=1'].sort(),
    );
    await s.get(`${a.url}/to-b`);
    expect(lastSeen('b', '/echo')?.cookie?.split('; ').sort()).toEqual(
      ['lax=1', 'none=1', 'plain=1'].sort(),
    );
    await s.post(`${a.url}/to-b?status=307`, { data: 'x' });
    expect(lastSeen('b', '/echo')?.cookie?.split('; ').sort()).toEqual(['none=1', 'plain=1']);
    await s.close();
  });
});
