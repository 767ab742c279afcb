import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session, TooManyRedirectsError } from '../src/index.js';
import { readRequestBody, rejection, startServer, type TestServer } from './helpers.js';

let a: TestServer; // the origin the requests start at
let b: TestServer; // another origin (other port)
const s = new Session();

beforeAll(async () => {
  b = await startServer(async (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        method: req.method,
        headers: req.headers,
        body: await readRequestBody(req),
      }),
    );
  });
  a = await startServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await readRequestBody(req);
    const code = Number(url.searchParams.get('code') ?? 302);
    switch (url.pathname) {
      case '/redirect':
        res.writeHead(code, { location: url.searchParams.get('to') ?? '/echo' });
        res.end('moved');
        return;
      case '/chain': {
        const n = Number(url.searchParams.get('n'));
        res.writeHead(302, { location: n > 0 ? `/chain?n=${n - 1}` : '/echo' });
        res.end();
        return;
      }
      case '/loop':
        res.writeHead(302, { location: '/loop' });
        res.end();
        return;
      default:
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method, headers: req.headers, body, url: req.url }));
    }
  });
});

afterAll(async () => {
  await s.close();
  await a.close();
  await b.close();
});

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

describe('redirects', () => {
  it('follows a chain and records history oldest first', async () => {
    const r = await s.get(`${a.url}/chain?n=2`);
    expect(r.statusCode).toBe(200);
    expect(r.url).toBe(`${a.url}/echo`);
    expect(r.history.map((h) => h.url)).toEqual([
      `${a.url}/chain?n=2`,
      `${a.url}/chain?n=1`,
      `${a.url}/chain?n=0`,
    ]);
    expect(r.history.map((h) => h.statusCode)).toEqual([302, 302, 302]);
  });

  it('turns POST into GET without a body on 303 and 302, keeps both on 307 and 308', async () => {
    for (const code of [301, 302, 303]) {
      const r = await s.post(`${a.url}/redirect?code=${code}`, { json: { a: 1 } });
      const echoed = r.json<Echo>();
      expect(echoed.method).toBe('GET');
      expect(echoed.body).toBe('');
      expect(echoed.headers['content-type']).toBeUndefined();
    }
    for (const code of [307, 308]) {
      const r = await s.post(`${a.url}/redirect?code=${code}`, { json: { a: 1 } });
      const echoed = r.json<Echo>();
      expect(echoed.method).toBe('POST');
      expect(echoed.body).toBe('{"a":1}');
    }
    const put = await s.put(`${a.url}/redirect?code=303`, { data: 'x' });
    expect(put.json<Echo>().method).toBe('GET');
  });

  it('does not follow redirects for HEAD unless asked, nor with allowRedirects: false', async () => {
    const r = await s.head(`${a.url}/redirect?code=301`);
    expect(r.statusCode).toBe(301);
    expect(r.isRedirect).toBe(true);
    expect(r.headers.location).toBe('/echo');
    const followed = await s.head(`${a.url}/redirect?code=301`, { allowRedirects: true });
    expect(followed.statusCode).toBe(200);
    expect(followed.history).toHaveLength(1);
    const kept = await s.get(`${a.url}/redirect?code=302`, { allowRedirects: false });
    expect(kept.statusCode).toBe(302);
    expect(kept.text).toBe('moved');
  });

  it('stops loops at maxRedirects with ERR_TOO_MANY_REDIRECTS', async () => {
    const error = await rejection(() => s.get(`${a.url}/loop`, { maxRedirects: 3 }));
    expect(error).toBeInstanceOf(TooManyRedirectsError);
    expect(error.code).toBe('ERR_TOO_MANY_REDIRECTS');
    expect((error as TooManyRedirectsError).response.history).toHaveLength(3);
    const ok = await s.get(`${a.url}/chain?n=2`, { maxRedirects: 3 });
    expect(ok.statusCode).toBe(200);
  });

  it('drops Authorization and Cookie when the redirect changes origin, keeps them on the same origin', async () => {
    const headers = { authorization: 'Bearer secret', cookie: 'sid=1', 'x-other': 'kept' };
    const same = (await s.get(`${a.url}/redirect?to=/echo`, { headers })).json<Echo>();
    expect(same.headers.authorization).toBe('Bearer secret');
    expect(same.headers.cookie).toBe('sid=1');
    const to = encodeURIComponent(`${b.url}/elsewhere`);
    const other = (await s.get(`${a.url}/redirect?to=${to}`, { headers })).json<Echo>();
    expect(other.headers.authorization).toBeUndefined();
    expect(other.headers.cookie).toBeUndefined();
    expect(other.headers['x-other']).toBe('kept');
  });
});
