import { readmeTableNames } from '@net/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCEPT_ENCODING,
  closeDefaultSession,
  DEFAULT_OPTIONS,
  del,
  get,
  HttpError,
  head,
  JsonDecodeError,
  MissingSchemeError,
  options,
  patch,
  post,
  put,
  request,
  Session,
} from '../src/index.js';
import { readRequestBody, rejection, startServer, type TestServer } from './helpers.js';

let srv: TestServer;

beforeAll(async () => {
  srv = await startServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await readRequestBody(req);
    switch (url.pathname) {
      case '/echo':
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            method: req.method,
            url: req.url,
            headers: req.headers,
            body,
          }),
        );
        return;
      case '/echo-headers': // HEAD has no body: the request headers come back as headers
        res.setHeader('x-user-agent', req.headers['user-agent'] ?? '');
        res.setHeader('x-accept-encoding', req.headers['accept-encoding'] ?? '');
        res.end();
        return;
      case '/cookies':
        res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2; Path=/']);
        res.setHeader('Last-Modified', 'Wed, 21 Oct 2015 07:28:00 GMT');
        res.end('ok');
        return;
      case '/latin1':
        res.setHeader('content-type', 'text/plain; charset=ISO-8859-1');
        res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9])); // "café" in Latin-1
        return;
      case '/utf8':
        res.setHeader('content-type', 'text/plain');
        res.end('café ☕');
        return;
      case '/not-json':
        res.setHeader('content-type', 'application/json');
        res.end('<html>oops, an error page</html>');
        return;
      case '/status': {
        res.statusCode = Number(url.searchParams.get('code'));
        res.end(`status ${res.statusCode}`);
        return;
      }
      default:
        res.statusCode = 404;
        res.end('not found');
    }
  });
});

afterAll(async () => {
  await closeDefaultSession();
  await srv.close();
});

describe('responses', () => {
  it('reads text, content and json() synchronously after the await', async () => {
    const r = await get(`${srv.url}/echo`, { params: { q: 'node js', n: 1, skip: null } });
    expect(r.statusCode).toBe(200);
    expect(r.ok).toBe(true);
    expect(r.reason).toBe('OK');
    expect(r.content).toBeInstanceOf(Uint8Array);
    expect(r.text).toBe(Buffer.from(r.content).toString('utf8'));
    const echoed = r.json<{ method: string; url: string }>();
    expect(echoed.method).toBe('GET');
    expect(echoed.url).toBe('/echo?q=node+js&n=1');
    expect(r.url).toBe(`${srv.url}/echo?q=node+js&n=1`);
    expect(r.history).toEqual([]);
    expect(r.elapsed).toBeGreaterThanOrEqual(0);
    expect(r.encoding).toBe('utf-8');
  });

  it('looks headers up case-insensitively and keeps repeated set-cookie values', async () => {
    const r = await get(`${srv.url}/cookies`);
    expect(r.headers['Last-Modified']).toBe('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(r.headers['last-modified']).toBe('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(r.headers['SET-COOKIE']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect('Content-Length' in r.headers).toBe(true);
    expect(Object.keys(r.headers)).toContain('set-cookie');
    expect(r.header('Set-Cookie')).toBe('a=1; Path=/, b=2; Path=/');
  });

  it('decodes text with the charset of Content-Type, else UTF-8', async () => {
    const latin = await get(`${srv.url}/latin1`);
    expect(latin.encoding).toBe('iso-8859-1');
    expect(latin.text).toBe('café');
    const utf8 = await get(`${srv.url}/utf8`);
    expect(utf8.encoding).toBe('utf-8');
    expect(utf8.text).toBe('café ☕');
    utf8.encoding = 'latin1';
    expect(utf8.text).not.toBe('café ☕');
  });

  it('json() on a non-JSON body throws ERR_JSON_DECODE with an excerpt', async () => {
    const r = await get(`${srv.url}/not-json`);
    const error = (() => {
      try {
        r.json();
      } catch (e) {
        return e as JsonDecodeError;
      }
      throw new Error('json() did not throw');
    })();
    expect(error).toBeInstanceOf(JsonDecodeError);
    expect(error.code).toBe('ERR_JSON_DECODE');
    expect(error.excerpt).toBe('<html>oops, an error page</html>');
  });

  it('raiseForStatus() throws ERR_HTTP_STATUS carrying the response; ok is false from 400', async () => {
    const r = await get(`${srv.url}/status?code=503`);
    expect(r.ok).toBe(false);
    const error = (() => {
      try {
        r.raiseForStatus();
      } catch (e) {
        return e as HttpError;
      }
      throw new Error('raiseForStatus() did not throw');
    })();
    expect(error).toBeInstanceOf(HttpError);
    expect(error.code).toBe('ERR_HTTP_STATUS');
    expect(error.response.text).toBe('status 503');
    expect(error.statusCode).toBe(503);
    const fine = await get(`${srv.url}/status?code=204`);
    expect(fine.raiseForStatus()).toBe(fine);
    expect(fine.content.byteLength).toBe(0);
  });
});

describe('URLs', () => {
  it('a URL without a scheme fails with ERR_MISSING_SCHEME suggesting https://', async () => {
    const error = await rejection(() => head('www.example.com'));
    expect(error).toBeInstanceOf(MissingSchemeError);
    expect(error.code).toBe('ERR_MISSING_SCHEME');
    expect((error as MissingSchemeError).suggestion).toBe('https://www.example.com');
    expect((await rejection(() => get('127.0.0.1:8080/x'))).code).toBe('ERR_MISSING_SCHEME');
    expect((await rejection(() => get('localhost:8080'))).code).toBe('ERR_MISSING_SCHEME');
  });

  it('rejects unparsable URLs and other schemes with ERR_BAD_URL', async () => {
    expect((await rejection(() => get('http://exa mple.com/'))).code).toBe('ERR_BAD_URL');
    expect((await rejection(() => get('ftp://example.com/file'))).code).toBe('ERR_BAD_URL');
    expect((await rejection(() => get('/relative'))).code).toBe('ERR_BAD_URL');
  });

  it('normalises paths the fast path cannot take (spaces, dot segments, non-ASCII)', async () => {
    const r = await get(`${srv.url}/a/../echo?x=é y`);
    expect(r.json<{ url: string }>().url).toBe('/echo?x=%C3%A9%20y');
  });
});

describe('request bodies and methods', () => {
  it('sends json, form, data and multipart bodies with their content types', async () => {
    const json = (await post(`${srv.url}/echo`, { json: { a: 1 } })).json<Echo>();
    expect(json.headers['content-type']).toBe('application/json');
    expect(JSON.parse(json.body)).toEqual({ a: 1 });

    const form = (
      await post(`${srv.url}/echo`, { form: { q: 'a b', tag: ['x', 'y'] } })
    ).json<Echo>();
    expect(form.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form.body).toBe('q=a+b&tag=x&tag=y');

    const dataObject = (await post(`${srv.url}/echo`, { data: { k: 'v' } })).json<Echo>();
    expect(dataObject.body).toBe('k=v');

    const raw = (
      await post(`${srv.url}/echo`, { data: 'raw text', headers: { 'Content-Type': 'text/plain' } })
    ).json<Echo>();
    expect(raw.headers['content-type']).toBe('text/plain');
    expect(raw.body).toBe('raw text');

    const fd = new FormData();
    fd.append('field', 'value');
    fd.append('file', new Blob(['file body']), 'f.txt');
    const multipart = (await post(`${srv.url}/echo`, { multipart: fd })).json<Echo>();
    expect(multipart.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(multipart.body).toContain('name="field"');
    expect(multipart.body).toContain('file body');
  });

  it('rejects two body options at once with ERR_INVALID_ARGUMENT', async () => {
    const error = await rejection(() => post(`${srv.url}/echo`, { json: {}, data: 'x' }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('has put, patch, del, options and request for any method', async () => {
    expect((await put(`${srv.url}/echo`, { data: 'p' })).json<Echo>().method).toBe('PUT');
    expect((await patch(`${srv.url}/echo`)).json<Echo>().method).toBe('PATCH');
    expect((await del(`${srv.url}/echo`)).json<Echo>().method).toBe('DELETE');
    expect((await options(`${srv.url}/echo`)).json<Echo>().method).toBe('OPTIONS');
    expect((await request('propfind', `${srv.url}/echo`)).json<Echo>().method).toBe('PROPFIND');
  });
});

describe('DEFAULT_OPTIONS', () => {
  it('holds every default the README tables give, and nothing that is not an option', () => {
    const documented = readmeTableNames(new URL('../README.md', import.meta.url));
    for (const key of Object.keys(DEFAULT_OPTIONS)) {
      expect(documented, `README options table lacks ${key}`).toContain(key);
    }
    expect(DEFAULT_OPTIONS).toMatchObject({ allowRedirects: true, stream: false });
    expect(DEFAULT_OPTIONS).not.toHaveProperty('userAgent');
  });

  it('its headers are what a request sends (HEAD without accept-encoding)', async () => {
    const echoed = (await get(`${srv.url}/echo`)).json<Echo>();
    expect(echoed.headers).toMatchObject(DEFAULT_OPTIONS.headers);
    expect(DEFAULT_OPTIONS.headers['accept-encoding']).toBe(ACCEPT_ENCODING);
    const s = new Session();
    try {
      const r = await s.head(`${srv.url}/echo-headers`);
      expect(r.header('x-user-agent')).toBe(DEFAULT_OPTIONS.headers['user-agent']);
      expect(r.header('x-accept-encoding')).toBe('');
    } finally {
      await s.close();
    }
  });
});

describe('Session', () => {
  it('applies baseUrl, headers and params; request headers win case-insensitively', async () => {
    const s = new Session({
      baseUrl: `${srv.url}/`,
      headers: { 'User-Agent': 'x', 'X-Session': 's' },
      params: { token: 't' },
    });
    try {
      const r = await s.get('/echo', { headers: { 'x-session': 'override' }, params: { q: 1 } });
      const echoed = r.json<Echo>();
      expect(echoed.url).toBe('/echo?token=t&q=1');
      expect(echoed.headers['user-agent']).toBe('x');
      expect(echoed.headers['x-session']).toBe('override');
      expect(echoed.headers['accept-encoding']).toMatch(/gzip/);
      const posted = await s.post('echo', { json: { a: 1 } });
      expect(posted.json<Echo>().method).toBe('POST');
    } finally {
      await s.close();
    }
    const error = await rejection(() => s.get('/echo'));
    expect(error.code).toBe('ERR_CLIENT_CLOSED');
  });

  it('sends userinfo from the URL as basic auth', async () => {
    const r = await get(`http://user:p%40ss@127.0.0.1:${srv.port}/echo`);
    expect(r.json<Echo>().headers.authorization).toBe(
      `Basic ${Buffer.from('user:p@ss').toString('base64')}`,
    );
  });

  it('validates options with ERR_INVALID_ARGUMENT', async () => {
    expect(() => new Session({ timeout: -1 })).toThrowError(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => new Session({ retries: 1.5 })).toThrowError(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}
