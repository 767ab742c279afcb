// Behaviours that disagreed with the README: a user dispatcher silently replaced, params
// sent twice, tls.ca replacing the default roots, rejectUnauthorized: false unannounced.
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { type DevCertificates, generateDevCertificates } from '@net/tls';
import { MockAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, IncompatibleOptionsError, Session } from '../src/index.js';
import { rejection, startServer, type TestServer } from './helpers.js';

let plain: TestServer;
let dir: string;
let certsA: DevCertificates; // the CA a request names in tls.ca
let certsB: DevCertificates; // another CA, made a default root by the test
let httpsB: Server;
let urlB: string;

beforeAll(async () => {
  plain = await startServer((req, res) => res.end(req.url));
  dir = await mkdtemp(join(tmpdir(), 'http-client-fixes-'));
  certsA = await generateDevCertificates({ dir: join(dir, 'a'), hosts: ['127.0.0.1'] });
  certsB = await generateDevCertificates({ dir: join(dir, 'b'), hosts: ['127.0.0.1'] });
  httpsB = createServer({ cert: certsB.server.cert, key: certsB.server.key }, (_req, res) =>
    res.end('b'),
  );
  httpsB.listen(0, '127.0.0.1');
  await once(httpsB, 'listening');
  urlB = `https://127.0.0.1:${(httpsB.address() as { port: number }).port}/`;
});

afterAll(async () => {
  await plain.close();
  httpsB.closeAllConnections();
  httpsB.close();
  await rm(dir, { recursive: true, force: true });
});

describe('your own dispatcher is never replaced', () => {
  function mockAgent(origin: string): MockAgent {
    const agent = new MockAgent();
    agent.disableNetConnect(); // anything not mocked fails instead of reaching the network
    agent.get(origin).intercept({ path: '/' }).reply(200, 'mocked').persist();
    return agent;
  }

  it('a request timeout keeps the MockAgent (headers and body timeouts apply per request)', async () => {
    const agent = mockAgent(plain.url);
    const s = new Session({ dispatcher: agent });
    expect((await s.get(`${plain.url}/`, { timeout: 1_000 })).text).toBe('mocked');
    expect((await s.get(`${plain.url}/`, { timeout: { headers: 500, body: 500 } })).text).toBe(
      'mocked',
    );
    expect((await get(`${plain.url}/`, { dispatcher: agent, timeout: 1_000 })).text).toBe('mocked');
    await s.close();
    await agent.close();
  });

  it('options that need a dispatcher of their own are refused with ERR_INVALID_OPTION', async () => {
    const agent = mockAgent(plain.url);
    const s = new Session({ dispatcher: agent });
    for (const options of [
      { timeout: { connect: 100 } },
      { tls: { ca: certsA.caCert } },
      { proxy: 'http://127.0.0.1:9' },
      { trustEnv: true },
      { http2: true },
      { socketPath: '/tmp/x.sock' },
    ]) {
      const error = await rejection(() => s.get(`${plain.url}/`, options));
      expect(error).toBeInstanceOf(IncompatibleOptionsError);
      expect(error.code).toBe('ERR_INVALID_OPTION');
      const direct = await rejection(() => get(`${plain.url}/`, { ...options, dispatcher: agent }));
      expect(direct.code).toBe('ERR_INVALID_OPTION');
    }
    // Options that ask for nothing (false) are fine with it.
    expect(
      (await s.get(`${plain.url}/`, { proxy: false, trustEnv: false, http2: false })).text,
    ).toBe('mocked');
    await s.close();
    await agent.close();
  });

  it('and a Session given one with tls, proxy, http2, socketPath or cache refuses at once', () => {
    const agent = new MockAgent();
    for (const options of [
      { tls: { ca: certsA.caCert } },
      { proxy: 'http://127.0.0.1:9' },
      { http2: true },
      { socketPath: '/tmp/x.sock' },
      { cache: true },
    ]) {
      expect(() => new Session({ dispatcher: agent, ...options })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });
});

describe('params', () => {
  it('a key the request sets replaces the session value; other keys stay', async () => {
    const s = new Session({ baseUrl: plain.url, params: { page: 1, q: 'a b', tag: ['x', 'y'] } });
    expect((await s.get('/p', { params: { page: 2 } })).text).toBe('/p?q=a+b&tag=x&tag=y&page=2');
    expect((await s.get('/p', { params: new URLSearchParams('tag=z&tag=w') })).text).toBe(
      '/p?page=1&q=a+b&tag=z&tag=w',
    );
    expect((await s.get('/p')).text).toBe('/p?page=1&q=a+b&tag=x&tag=y');
    await s.close();
  });
});

describe('tls.ca', () => {
  it('is added to the default roots by default; systemCa: false trusts it alone', async () => {
    const defaults = tls.getCACertificates('default');
    // CA B becomes one of Node's default roots (as a system or NODE_EXTRA_CA_CERTS root would).
    tls.setDefaultCACertificates([...defaults, certsB.caCert.toString()]);
    try {
      const added = new Session({ tls: { ca: certsA.caCert } });
      expect((await added.get(urlB)).text).toBe('b');
      await added.close();
      const only = new Session({ tls: { ca: certsA.caCert, systemCa: false } });
      expect((await rejection(() => only.get(urlB))).code).toBe('ERR_TLS');
      await only.close();
    } finally {
      tls.setDefaultCACertificates(defaults);
    }
    // And the CA given is trusted in both modes (per request too).
    const s = new Session();
    expect((await rejection(() => s.get(urlB))).code).toBe('ERR_TLS');
    expect((await s.get(urlB, { tls: { ca: certsB.caCert, systemCa: false } })).text).toBe('b');
    expect((await s.get(urlB, { tls: { ca: [certsA.caCert, certsB.caCert] } })).text).toBe('b');
    await s.close();
  });

  it('rejectUnauthorized: false works but warns once (NET_HTTP_INSECURE)', async () => {
    const warnings: Array<Error & { code?: string }> = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const s = new Session({ tls: { rejectUnauthorized: false } });
      expect((await s.get(urlB)).text).toBe('b');
      expect(
        (await s.get(urlB, { tls: { rejectUnauthorized: false, servername: 'x' } })).text,
      ).toBe('b');
      await s.close();
      await new Promise((resolve) => setImmediate(resolve));
      const insecure = warnings.filter((warning) => warning.code === 'NET_HTTP_INSECURE');
      expect(insecure).toHaveLength(1);
      expect(insecure[0]?.name).toBe('SecurityWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
