import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { type DevCertificates, generateDevCertificates } from '@net/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDefaultSession, get, Session, TlsError } from '../src/index.js';
import { rejection } from './helpers.js';

let dir: string;
let certs: DevCertificates;
let server: Server;
let url: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'http-client-tls-'));
  certs = await generateDevCertificates({ dir, hosts: ['localhost', '127.0.0.1'], client: true });
  server = createServer(
    {
      cert: certs.server.cert,
      key: certs.server.key,
      ca: certs.caCert,
      requestCert: true,
      rejectUnauthorized: false, // the handler reports whether a client certificate came
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          authorized: socket.authorized,
          client: peer?.subject?.CN ?? null,
          protocol: socket.getProtocol(),
        }),
      );
    },
  );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `https://127.0.0.1:${(server.address() as { port: number }).port}/`;
}, 30_000);

afterAll(async () => {
  await closeDefaultSession();
  for (const socket of sockets) socket.destroy();
  server?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('HTTPS with @net/tls development certificates', () => {
  it('trusts the dev CA passed as tls.ca', async () => {
    const s = new Session({ tls: { ca: certs.caCert } });
    try {
      const r = await s.get(url);
      expect(r.json()).toMatchObject({ authorized: false, client: null });
    } finally {
      await s.close();
    }
  });

  it('presents a client certificate (tls.cert + tls.key)', async () => {
    const client = certs.client;
    if (client === undefined)
      throw new Error('generateDevCertificates returned no client certificate');
    const r = await get(url, { tls: { ca: certs.caCert, cert: client.cert, key: client.key } });
    expect(r.json()).toMatchObject({ authorized: true, client: 'dev-client' });
  });

  it('refuses a server whose CA is not trusted: ERR_TLS', async () => {
    const s = new Session();
    try {
      const error = await rejection(() => s.get(url));
      expect(error).toBeInstanceOf(TlsError);
      expect(error.code).toBe('ERR_TLS');
    } finally {
      await s.close();
    }
  });
});
