import { connect, type Socket } from 'node:net';
import { MockAgent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { get, Session } from '../src/index.js';
import { rejection, startServer, type TestServer } from './helpers.js';

let origin: TestServer;
let proxy: TestServer;
const tunnels: string[] = [];
const tunnelSockets = new Set<Socket>();

beforeAll(async () => {
  origin = await startServer((req, res) => {
    res.end(`origin saw ${req.method} ${req.url}`);
  });
  // A forward proxy that supports CONNECT tunnels (what undici's ProxyAgent uses).
  proxy = await startServer((_req, res) => {
    res.statusCode = 405;
    res.end();
  });
  proxy.server.on('connect', (req, clientSocket: Socket, head: Buffer) => {
    tunnels.push(`${req.url} ${req.headers['proxy-authorization'] ?? ''}`.trim());
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(clientSocket);
      clientSocket.pipe(upstream);
    });
    for (const socket of [upstream, clientSocket]) {
      tunnelSockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => tunnelSockets.delete(socket));
    }
  });
});

afterEach(() => {
  tunnels.length = 0;
  delete process.env.HTTP_PROXY;
  delete process.env.http_proxy;
});

afterAll(async () => {
  for (const socket of tunnelSockets) socket.destroy();
  await proxy.close();
  await origin.close();
});

describe('proxies', () => {
  it('sends through an explicit proxy, with its credentials', async () => {
    const s = new Session({ proxy: { url: proxy.url, token: 'Basic dTpw' } });
    try {
      const r = await s.get(`${origin.url}/via-proxy`);
      expect(r.text).toBe('origin saw GET /via-proxy');
      expect(tunnels).toEqual([`127.0.0.1:${origin.port} Basic dTpw`]);
    } finally {
      await s.close();
    }
  });

  it('ignores HTTP_PROXY unless trustEnv is set', async () => {
    process.env.HTTP_PROXY = proxy.url;
    const plain = new Session();
    const trusting = new Session({ trustEnv: true });
    try {
      await plain.get(`${origin.url}/direct`);
      expect(tunnels).toEqual([]);
      await trusting.get(`${origin.url}/env`);
      expect(tunnels).toEqual([`127.0.0.1:${origin.port}`]);
    } finally {
      await plain.close();
      await trusting.close();
    }
  });

  it('an explicit proxy beats the environment', async () => {
    process.env.HTTP_PROXY = 'http://127.0.0.1:9'; // nothing listens on the discard port
    const s = new Session({ trustEnv: true, proxy: proxy.url });
    try {
      expect((await s.get(`${origin.url}/explicit`)).statusCode).toBe(200);
      expect(tunnels).toHaveLength(1);
      const direct = await s.get(`${origin.url}/no-proxy`, { proxy: false });
      expect(direct.statusCode).toBe(200);
      expect(tunnels).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});

describe('dispatcher option (undici MockAgent)', () => {
  it('sends through the given dispatcher', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get('https://api.example.test')
      .intercept({ path: '/items?page=2', method: 'GET' })
      .reply(
        200,
        { items: [1, 2] },
        { headers: { 'content-type': 'application/json', 'Set-Cookie': 'a=1' } },
      );
    try {
      const r = await get('https://api.example.test/items', {
        params: { page: 2 },
        dispatcher: agent,
      });
      expect(r.json()).toEqual({ items: [1, 2] });
      expect(r.headers['Set-Cookie']).toBe('a=1');
      agent.assertNoPendingInterceptors();
    } finally {
      await agent.close();
    }
  });

  it('maps dispatcher errors to typed errors', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get('https://api.example.test')
      .intercept({ path: '/boom' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    try {
      const s = new Session({ dispatcher: agent, baseUrl: 'https://api.example.test' });
      const error = await rejection(() => s.post('/boom', { json: {} }));
      expect(error.code).toBe('ERR_CONNECTION');
      await s.close(); // leaves the caller's dispatcher open
      agent.get('https://api.example.test').intercept({ path: '/after' }).reply(200, 'still open');
      const after = await get('https://api.example.test/after', { dispatcher: agent });
      expect(after.text).toBe('still open');
    } finally {
      await agent.close();
    }
  });
});
