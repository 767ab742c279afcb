import { once } from 'node:events';
import { createServer as createNetServer, type Socket, connect as tcpConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  type ConnectTlsOptions,
  connectTls,
  generateDevCertificates,
  spkiFingerprint,
  TlsSessionCache,
} from '../src/index.js';
import { devCerts, roundTrip, tempDir, useCleanups, waitFor } from './helpers.js';

const { defer, serve } = useCleanups();

/** A plain TCP forwarder on another port to `port`: the same server behind a second address. */
async function forwarder(port: number): Promise<number> {
  const pairs = new Set<Socket>();
  // Half-open both ways: the client's FIN must not cut the echo coming back.
  const server = createNetServer({ allowHalfOpen: true }, (client) => {
    const upstream = tcpConnect({ host: '127.0.0.1', port, allowHalfOpen: true });
    pairs.add(client).add(upstream);
    client.once('close', () => pairs.delete(client));
    upstream.once('close', () => pairs.delete(upstream));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  defer(
    () =>
      new Promise((resolve) => {
        server.close(resolve);
        for (const socket of pairs) socket.destroy();
      }),
  );
  return (server.address() as { port: number }).port;
}

/** Connects, exchanges data (a TLS 1.3 ticket arrives after the handshake), and closes. */
async function exchange(options: ConnectTlsOptions): Promise<boolean> {
  const sock = await connectTls(options);
  const reused = sock.isSessionReused();
  expect(await roundTrip(sock, 'x')).toBe('x');
  return reused;
}

describe('the client session cache key', () => {
  it('two connections differing in exactly one field of the key do not share a session', async () => {
    const certs = await devCerts();
    const other = tempDir();
    defer(other.cleanup);
    const otherCa = (await generateDevCertificates({ dir: other.dir })).caCert;
    const { port } = await serve({ cert: certs.server.cert, key: certs.server.key });
    const secondPort = await forwarder(port);
    const base: ConnectTlsOptions = {
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: certs.caCert,
    };
    const variants: Array<[string, Partial<ConnectTlsOptions>]> = [
      ['host', { host: 'localhost' }],
      ['port', { port: secondPort }],
      ['servername', { servername: '127.0.0.1' }],
      ['ca', { ca: [certs.caCert, otherCa] }],
      ['client certificate', { cert: certs.client.cert, key: certs.client.key }],
      ['pin', { pin: spkiFingerprint(certs.server.cert) }],
      ['minVersion', { minVersion: 'TLSv1.3' }],
      ['maxVersion', { maxVersion: 'TLSv1.3' }],
      ['ciphers', { ciphers: 'TLS_AES_256_GCM_SHA384:ECDHE-ECDSA-AES256-GCM-SHA384' }],
    ];
    for (const [field, change] of variants) {
      const cache = new TlsSessionCache(10);
      const options = { ...base, sessionCache: cache };
      expect(await exchange(options), `${field}: first`).toBe(false);
      await waitFor(() => cache.size === 1);
      // The control: the same settings resume, so a shared key would have resumed too.
      expect(await exchange(options), `${field}: same settings`).toBe(true);
      expect(await exchange({ ...options, ...change }), `${field} differs`).toBe(false);
      await waitFor(() => cache.size === 2);
      expect(await exchange({ ...options, ...change }), `${field}: its own entry`).toBe(true);
    }
  });

  it('insecureSkipVerify gets its own entry: a session made without verification is never resumed by a verifying connection', async () => {
    const certs = await devCerts();
    const { port } = await serve({ cert: certs.server.cert, key: certs.server.key });
    const onWarning = () => undefined;
    process.on('warning', onWarning);
    defer(() => process.off('warning', onWarning));
    const cache = new TlsSessionCache(10);
    const verifying = {
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: certs.caCert,
      sessionCache: cache,
    };
    expect(await exchange({ ...verifying, insecureSkipVerify: true })).toBe(false);
    await waitFor(() => cache.size === 1);
    expect(await exchange({ ...verifying, insecureSkipVerify: true })).toBe(true);
    expect(await exchange(verifying)).toBe(false);
    await waitFor(() => cache.size === 2);
  });
});
