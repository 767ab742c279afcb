// Hooks (beforeRequest, beforeRedirect, beforeRetry, afterResponse) and the auth forms a
// Session applies itself (Basic, Bearer, a function), against node:http servers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, HookError, type HookRequest, type Response, Session } from '../src/index.js';
import { rejection, startServer, type TestServer } from './helpers.js';

let server: TestServer;
let other: TestServer; // reached as localhost: another origin
let failures = 0;

beforeAll(async () => {
  server = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/echo' });
      res.end();
    } else if (url.pathname === '/flaky' && failures++ % 2 === 0) {
      res.writeHead(503, { 'retry-after': '0' });
      res.end();
    } else if (url.pathname === '/big') {
      res.end(Buffer.alloc(8 << 20)); // more than the stream buffers hold unread
    } else if (url.pathname === '/private') {
      const ok = req.headers.authorization === 'Bearer fresh';
      res.writeHead(ok ? 200 : 401);
      res.end(ok ? 'secret' : 'expired');
    } else {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: url.pathname, headers: req.headers }));
    }
  });
  other = await startServer((req, res) => {
    const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
    if (to !== null) {
      res.writeHead(302, { location: to });
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ headers: req.headers }));
  });
});

afterAll(async () => {
  await server.close();
  await other.close();
});

type Echo = { headers: Record<string, string | undefined> };

describe('hooks', () => {
  it('beforeRequest: session hooks, then the request’s, edit the headers', async () => {
    const calls: string[] = [];
    const s = new Session({
      baseUrl: server.url,
      hooks: {
        beforeRequest: [
          (request) => {
            calls.push(`session ${request.method} ${request.url}`);
            request.headers['x-trace'] = 'session';
          },
        ],
      },
    });
    const response = await s.get('/echo', {
      hooks: {
        beforeRequest: [
          async (request) => {
            calls.push(`request ${request.headers['x-trace']}`);
            request.headers['x-trace'] += ',request';
          },
        ],
      },
    });
    expect(response.json<Echo>().headers['x-trace']).toBe('session,request');
    expect(calls).toEqual([`session GET ${server.url}/echo`, 'request session']);
    // The session's default headers were not touched by the hooks.
    expect(
      (await new Session({ baseUrl: server.url }).get('/echo')).json<Echo>().headers['x-trace'],
    ).toBeUndefined();
    await s.close();
  });

  it('beforeRequest: a response it returns is the answer, without the network', async () => {
    const earlier = await get(`${server.url}/echo`);
    const before = server.connections();
    const response = await get(`${server.url}/never`, {
      hooks: { beforeRequest: [() => earlier] },
    });
    expect(response).toBe(earlier);
    expect(server.connections()).toBe(before);
  });

  it('beforeRedirect: sees the redirect and edits the next request', async () => {
    const seen: Array<[number, string]> = [];
    const response = await get(`${server.url}/redirect?to=/echo`, {
      hooks: {
        beforeRedirect: [
          (request: HookRequest, redirect: Response) => {
            seen.push([redirect.statusCode, request.url]);
            request.headers['x-hop'] = '2';
          },
        ],
      },
    });
    expect(seen).toEqual([[302, `${server.url}/echo`]]);
    expect(response.json<Echo>().headers['x-hop']).toBe('2');
  });

  it('beforeRetry: told the retry count and why, for a status and for a refused connection', async () => {
    failures = 0;
    const states: Array<[number, string | undefined]> = [];
    const hooks = {
      beforeRetry: [
        ({ retryCount, error }: { retryCount: number; error: Error & { code?: string } }) => {
          states.push([retryCount, error.code]);
        },
      ],
    };
    const response = await get(`${server.url}/flaky`, { retries: { total: 2, backoff: 1 }, hooks });
    expect(response.statusCode).toBe(200);
    expect(states).toEqual([[1, 'ERR_HTTP_STATUS']]);
    states.length = 0;
    const closed = await startServer(() => undefined);
    const url = closed.url;
    await closed.close();
    await rejection(() => get(`${url}/`, { retries: { total: 2, backoff: 1 }, hooks }));
    expect(states).toEqual([
      [1, 'ERR_CONNECTION'],
      [2, 'ERR_CONNECTION'],
    ]);
  });

  it('afterResponse: may return a new response, e.g. after refreshing a token', async () => {
    let token = 'stale';
    const s: Session = new Session({
      baseUrl: server.url,
      auth: (request) => {
        request.headers.authorization = `Bearer ${token}`;
      },
      hooks: {
        afterResponse: [
          async (response, request) => {
            if (response.statusCode !== 401) return undefined;
            token = 'fresh';
            return s.get(request.url);
          },
        ],
      },
    });
    const response = await s.get('/private');
    expect([response.statusCode, response.text]).toEqual([200, 'secret']);
    await s.close();
  });

  it('a throwing hook becomes ERR_HOOK naming it; a typed error passes as it is', async () => {
    const error = await rejection(() =>
      get(`${server.url}/echo`, {
        hooks: {
          afterResponse: [
            () => {
              throw new TypeError('boom');
            },
          ],
        },
      }),
    );
    expect(error).toBeInstanceOf(HookError);
    expect(error).toMatchObject({ code: 'ERR_HOOK', hook: 'afterResponse' });
    expect((error.cause as Error).message).toBe('boom');
    const typed = await rejection(() =>
      get(`${server.url}/private`, {
        hooks: { afterResponse: [(response) => response.raiseForStatus()] },
      }),
    );
    expect(typed.code).toBe('ERR_HTTP_STATUS');
  });

  it('a throwing afterResponse on a streamed response releases its connection', async () => {
    const s = new Session({ baseUrl: server.url, connections: 1 });
    const hooks = {
      afterResponse: [
        () => {
          throw new Error('no');
        },
      ],
    };
    for (let i = 0; i < 3; i++) {
      const error = await rejection(() => s.get('/big', { stream: true, hooks }));
      expect(error.code).toBe('ERR_HOOK');
    }
    // One connection only: had an 8 MiB body stayed unread, this request would wait for it.
    expect((await s.get('/echo', { timeout: { total: 3_000 } })).statusCode).toBe(200);
    await s.close();
  });

  it('rejects hooks that are not arrays of functions, and unknown hook names', () => {
    for (const hooks of [
      { beforeRequest: () => undefined },
      { beforeRequest: [1] },
      { before: [] },
      5,
    ]) {
      expect(() => new Session({ hooks: hooks as never })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
  });
});

describe('auth', () => {
  const headersOf = async (url: string, options: Parameters<typeof get>[1]) =>
    (await get(url, options)).json<Echo>().headers;

  it('a [user, pass] pair is Basic (UTF-8), { bearer } is Bearer', async () => {
    expect((await headersOf(`${server.url}/echo`, { auth: ['zoë', 'p:ss'] })).authorization).toBe(
      `Basic ${Buffer.from('zoë:p:ss').toString('base64')}`,
    );
    expect((await headersOf(`${server.url}/echo`, { auth: { bearer: 't0k' } })).authorization).toBe(
      'Bearer t0k',
    );
  });

  it('beats credentials in the URL', async () => {
    const url = `http://u:p@127.0.0.1:${server.port}/echo`;
    expect((await headersOf(url, {})).authorization).toBe(`Basic ${btoa('u:p')}`);
    expect((await headersOf(url, { auth: { bearer: 'b' } })).authorization).toBe('Bearer b');
  });

  it('a function signs the request; what it throws becomes ERR_HOOK (hook auth)', async () => {
    const signed = await headersOf(`${server.url}/echo?x=1`, {
      auth: async (request) => {
        request.headers['x-signature'] = `${request.method} ${new URL(request.url).search}`;
      },
    });
    expect(signed['x-signature']).toBe('GET ?x=1');
    const error = await rejection(() =>
      get(`${server.url}/echo`, {
        auth: () => {
          throw new Error('no token');
        },
      }),
    );
    expect(error).toMatchObject({ code: 'ERR_HOOK', hook: 'auth' });
  });

  it('is not sent past a cross-origin redirect (nor when the chain comes back)', async () => {
    const s = new Session({ auth: ['user', 'pass'] });
    const back = encodeURIComponent(`${server.url}/echo`);
    const away = `http://localhost:${other.port}/away`;
    const response = await s.get(`${server.url}/redirect?to=${encodeURIComponent(away)}`);
    expect(response.json<Echo>().headers.authorization).toBeUndefined();
    // Same origin throughout: kept. Away and back again: dropped for good.
    const stay = `${server.url}/redirect?to=${back}`;
    expect((await s.get(stay)).json<Echo>().headers.authorization).toBe(
      `Basic ${btoa('user:pass')}`,
    );
    const roundTrip = `http://localhost:${other.port}/bounce?to=${back}`;
    const returned = await s.get(`${server.url}/redirect?to=${encodeURIComponent(roundTrip)}`);
    expect(returned.url).toBe(`${server.url}/echo`);
    expect(returned.json<Echo>().headers.authorization).toBeUndefined();
    await s.close();
  });

  it('rejects shapes that are not credentials', () => {
    for (const auth of [['only-user'], { bearer: '' }, { token: 'x' }, 'user:pass', ['a:b', 'c']]) {
      expect(() => new Session({ auth: auth as never })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
  });
});
