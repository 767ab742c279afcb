import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type Socket, connect as tcpConnect } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { HandshakeTimeoutError as TcpHandshakeTimeoutError } from '@net/tcp-server';
import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  certificateFingerprint,
  connectTls,
  createTlsServer,
  generateDevCertificates,
  HandshakeTimeoutError,
  ListenError,
  type PeerIdentity,
  peerIdentity,
  spkiFingerprint,
  TlsSessionCache,
  toTlsError,
  wrapSocket,
} from '../src/index.js';
import {
  devCerts,
  echo,
  echoOnce,
  expiredServerCert,
  roundTrip,
  tempDir,
  useCleanups,
  waitFor,
} from './helpers.js';

const { defer, serve } = useCleanups();
function track<T extends Socket>(socket: T): T {
  defer(() => socket.destroy());
  return socket;
}

describe('connectTls and createTlsServer', () => {
  it('echoes over mutual TLS and gives the handler the verified client identity', async () => {
    const certs = await devCerts();
    const peers: Array<PeerIdentity | null> = [];
    const { server, port, errors } = await serve(
      { cert: certs.server.cert, key: certs.server.key, clientCa: certs.caCert },
      async (conn, peer) => {
        peers.push(peer);
        expect(peerIdentity(conn.socket)).toEqual(peer);
        await echo(conn, peer);
      },
    );
    const sock = await connectTls({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: certs.caCert,
      cert: certs.client.cert,
      key: certs.client.key,
      session: false,
    });
    expect(sock.authorized).toBe(true);
    expect(peerIdentity(sock)?.fingerprint256).toBe(certificateFingerprint(certs.server.cert));
    expect(await roundTrip(sock, 'Hello World')).toBe('Hello World');
    expect(peers).toHaveLength(1);
    expect(peers[0]?.subject).toBe('CN=dev-client');
    expect(peers[0]?.subjectFields).toEqual({ CN: 'dev-client' });
    expect(peers[0]?.fingerprint256).toBe(certificateFingerprint(certs.client.cert));
    expect(peers[0]?.spki256).toBe(spkiFingerprint(certs.client.cert));
    expect(peers[0]?.issuer).toMatch(/^CN=@net\/tls development CA [0-9a-f]{8}$/);
    expect(errors).toEqual([]);
    expect(server.stats()).toMatchObject({ handshakes: 1, handshakeFailures: 0 });
  });

  it('passes a null peer without clientCa, and verifies an IP address against the IP SANs', async () => {
    const certs = await devCerts();
    const peers: unknown[] = [];
    const { port } = await serve(
      { cert: certs.server.cert, key: certs.server.key },
      async (conn, peer) => {
        peers.push(peer);
        await echo(conn, peer);
      },
    );
    const sock = await connectTls({ host: '127.0.0.1', port, ca: certs.caCert, session: false });
    expect(await roundTrip(sock, 'x')).toBe('x');
    expect(peers).toEqual([null]);
  });

  it('refuses a server whose CA is not trusted: ERR_TLS_UNTRUSTED_CERT', async () => {
    const certs = await devCerts();
    const { port, server } = await serve({ cert: certs.server.cert, key: certs.server.key });
    const error = await connectTls({ host: '127.0.0.1', port, servername: 'localhost' }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({
      code: 'ERR_TLS_UNTRUSTED_CERT',
      opensslCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    await waitFor(() => server.stats().handshakeFailures === 1);
  });

  it('refuses a self-signed server certificate: ERR_TLS_UNTRUSTED_CERT (DEPTH_ZERO_SELF_SIGNED_CERT)', async () => {
    const certs = await devCerts();
    const caKey = readFileSync(certs.files.caKey, 'utf8');
    // the CA certificate itself, served as a leaf, is self-signed
    const { port } = await serve({ cert: certs.caCert, key: caKey });
    const error = await connectTls({ host: '127.0.0.1', port, ca: certs.server.cert }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ code: 'ERR_TLS_UNTRUSTED_CERT' });
  });

  it('refuses a wrong hostname and lists the names the certificate covers', async () => {
    const certs = await devCerts();
    const { port } = await serve({ cert: certs.server.cert, key: certs.server.key });
    const error = await connectTls({
      host: '127.0.0.1',
      port,
      servername: 'example.com',
      ca: certs.caCert,
    }).catch((e) => e);
    expect(error).toMatchObject({
      code: 'ERR_TLS_HOSTNAME_MISMATCH',
      host: 'example.com',
      names: ['localhost', '127.0.0.1', '::1'],
    });
    expect(error.message).toContain('localhost, 127.0.0.1, ::1');
  });

  it('refuses an expired certificate: ERR_TLS_CERT_EXPIRED', async () => {
    const certs = await devCerts();
    const expired = await expiredServerCert({
      cert: certs.caCert,
      key: readFileSync(certs.files.caKey, 'utf8'),
    });
    const { port } = await serve(expired);
    const error = await connectTls({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: certs.caCert,
    }).catch((e) => e);
    expect(error).toMatchObject({ code: 'ERR_TLS_CERT_EXPIRED', opensslCode: 'CERT_HAS_EXPIRED' });
  });

  it('frees a client that never finishes the handshake (server handshakeTimeout)', async () => {
    const certs = await devCerts();
    const { server, port, errors } = await serve({
      cert: certs.server.cert,
      key: certs.server.key,
      handshakeTimeout: 200,
    });
    const silent = track(tcpConnect({ host: '127.0.0.1', port }));
    silent.on('error', () => undefined);
    await once(silent, 'connect');
    silent.write(Buffer.from([0x16, 0x03, 0x01])); // the start of a ClientHello, then nothing
    await once(silent, 'close');
    expect(errors).toMatchObject([{ code: 'ERR_HANDSHAKE_TIMEOUT', phase: 'handshake' }]);
    await waitFor(() => server.stats().active === 0);
    expect(server.stats()).toMatchObject({
      timeouts: 1,
      handshakeFailures: 0,
      handshakes: 0,
      active: 0,
    });
    // the server still serves others
    const ok = await connectTls({ host: '127.0.0.1', port, ca: certs.caCert });
    expect(await roundTrip(ok, 'still here')).toBe('still here');
  });

  it('gives up on a server that never answers the handshake: ERR_HANDSHAKE_TIMEOUT, the class of the server side', async () => {
    // reads (so it sees the client leave) but never answers
    const silentServer = createTcpServer((socket) => socket.on('error', () => undefined).resume());
    silentServer.listen(0, '127.0.0.1');
    await once(silentServer, 'listening');
    defer(() => new Promise((r) => silentServer.close(r)));
    const port = (silentServer.address() as { port: number }).port;
    const error = await connectTls({ host: '127.0.0.1', port, handshakeTimeout: 200 }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ code: 'ERR_HANDSHAKE_TIMEOUT', timeout: 200 });
    expect(error).toBeInstanceOf(HandshakeTimeoutError);
    expect(error).toBeInstanceOf(TcpHandshakeTimeoutError);
  });

  it('reports a refused TCP connection as ERR_TLS_CONNECT', async () => {
    const probe = createTcpServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const error = await connectTls({ host: '127.0.0.1', port }).catch((e) => e);
    expect(error).toMatchObject({ code: 'ERR_TLS_CONNECT', opensslCode: 'ECONNREFUSED' });
  });

  it('aborts through the signal: ERR_ABORTED, the shared AbortedError', async () => {
    const error = await connectTls({ port: 1, signal: AbortSignal.abort() }).catch((e) => e);
    expect(error).toMatchObject({ code: 'ERR_ABORTED' });
    expect(error).toBeInstanceOf(AbortedError);
  });

  it('rejects bad client options with ERR_INVALID_ARGUMENT', async () => {
    const certs = await devCerts();
    for (const options of [
      { port: 0 },
      { port: 443, minVersion: 'TLSv1' },
      { port: 443, handshakeTimeout: -1 },
      { port: 443, handshakeTimeout: 2 ** 31 },
      { port: 443, cert: certs.client.cert },
      { port: 443, pin: 'abc' },
      { port: 443, pin: [] },
    ]) {
      await expect(connectTls(options as never)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    }
  });

  describe('mutual TLS', () => {
    it('fails a TLS 1.3 client without a certificate with ERR_TLS_CLIENT_CERT_REQUIRED', async () => {
      const certs = await devCerts();
      const { port, errors, server } = await serve({
        cert: certs.server.cert,
        key: certs.server.key,
        clientCa: certs.caCert,
      });
      // In TLS 1.3 the client's handshake ends before the server checks the certificate:
      // the refusal arrives as the socket's first error.
      const sock = track(
        await connectTls({ host: '127.0.0.1', port, ca: certs.caCert, session: false }),
      );
      const [error] = await once(sock, 'error');
      expect(toTlsError(error)).toMatchObject({ code: 'ERR_TLS_CLIENT_CERT_REQUIRED' });
      await waitFor(() => errors.length === 1);
      expect(errors[0]).toMatchObject({ code: 'ERR_TLS_CLIENT_CERT_REQUIRED', phase: 'handshake' });
      expect(server.stats()).toMatchObject({ handshakes: 0, handshakeFailures: 1 });
    });

    it('fails a TLS 1.2 client without a certificate in the handshake', async () => {
      const certs = await devCerts();
      const { port, errors } = await serve({
        cert: certs.server.cert,
        key: certs.server.key,
        clientCa: certs.caCert,
      });
      const error = await connectTls({
        host: '127.0.0.1',
        port,
        ca: certs.caCert,
        maxVersion: 'TLSv1.2',
      }).catch((e) => e);
      expect(error).toMatchObject({ code: 'ERR_TLS_HANDSHAKE_FAILED' });
      await waitFor(() => errors.length === 1);
      expect(errors[0]).toMatchObject({ code: 'ERR_TLS_CLIENT_CERT_REQUIRED' });
    });

    it('refuses a client certificate from another CA (ERR_TLS_CLIENT_CERT_REJECTED on the server)', async () => {
      const certs = await devCerts();
      const other = tempDir();
      defer(other.cleanup);
      const foreign = await generateDevCertificates({ dir: other.dir, client: true });
      const { port, errors, server } = await serve({
        cert: certs.server.cert,
        key: certs.server.key,
        clientCa: certs.caCert,
      });
      const attempt = connectTls({
        host: '127.0.0.1',
        port,
        ca: certs.caCert,
        cert: foreign.client?.cert,
        key: foreign.client?.key,
        maxVersion: 'TLSv1.2',
      });
      await expect(attempt).rejects.toMatchObject({
        code: 'ERR_TLS_HANDSHAKE_FAILED',
        opensslCode: 'ECONNRESET',
      });
      await waitFor(() => errors.length === 1);
      expect(errors[0]).toMatchObject({
        code: 'ERR_TLS_CLIENT_CERT_REJECTED',
        opensslCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        phase: 'handshake',
      });
      expect(server.stats().handshakes).toBe(0);
    });
  });

  describe('pinning', () => {
    it('accepts a matching certificate or public-key pin and refuses others: ERR_TLS_PIN_MISMATCH', async () => {
      const certs = await devCerts();
      const { port } = await serve({ cert: certs.server.cert, key: certs.server.key });
      const base = { host: '127.0.0.1', port, ca: certs.caCert, session: false };
      const leaf = certificateFingerprint(certs.server.cert);
      const spki = spkiFingerprint(certs.server.cert);
      expect(spki).toMatch(/^sha256\/\/[A-Za-z0-9+/]{43}=$/);
      for (const pin of [
        leaf,
        leaf.replaceAll(':', '').toLowerCase(),
        spki,
        [spkiFingerprint(certs.caCert), spki],
      ]) {
        const sock = await connectTls({ ...base, pin });
        expect(await roundTrip(sock, 'pinned')).toBe('pinned');
      }
      const error = await connectTls({
        ...base,
        pin: [certificateFingerprint(certs.caCert)],
      }).catch((e) => e);
      expect(error).toMatchObject({
        code: 'ERR_TLS_PIN_MISMATCH',
        fingerprint256: leaf,
        spki256: spki,
      });
    });

    it('with insecureSkipVerify, trusts only the pinned server, and warns loudly', async () => {
      const certs = await devCerts();
      const { port } = await serve({ cert: certs.server.cert, key: certs.server.key });
      const warnings: Error[] = [];
      const onWarning = (w: Error & { code?: string }) => {
        if (w.code === 'NET_TLS_INSECURE') warnings.push(w);
      };
      process.on('warning', onWarning);
      defer(() => process.off('warning', onWarning));
      const base = {
        host: '127.0.0.1',
        port,
        servername: 'wrong.example',
        insecureSkipVerify: true,
        session: false,
      };
      const sock = await connectTls({ ...base, pin: spkiFingerprint(certs.server.cert) });
      expect(await roundTrip(sock, 'ok')).toBe('ok');
      const error = await connectTls({ ...base, pin: spkiFingerprint(certs.caCert) }).catch(
        (e) => e,
      );
      expect(error).toMatchObject({ code: 'ERR_TLS_PIN_MISMATCH' });
      await waitFor(() => warnings.length === 2);
      expect(warnings[0]).toMatchObject({ name: 'SecurityWarning' });
      expect(warnings[0]?.message).toContain('wrong.example');
    });
  });

  it('resumes sessions from the cache (per host:port:servername and trust settings)', async () => {
    const certs = await devCerts();
    const { port, server } = await serve({ cert: certs.server.cert, key: certs.server.key });
    const cache = new TlsSessionCache(10);
    const options = {
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: certs.caCert,
      sessionCache: cache,
    };
    const first = await connectTls(options);
    expect(first.isSessionReused()).toBe(false);
    expect(await roundTrip(first, 'one')).toBe('one'); // the TLS 1.3 ticket arrives with the data
    await waitFor(() => cache.size === 1);
    const second = await connectTls(options);
    expect(second.isSessionReused()).toBe(true);
    expect(await roundTrip(second, 'two')).toBe('two');
    const pinned = await connectTls({ ...options, pin: spkiFingerprint(certs.server.cert) });
    expect(pinned.isSessionReused()).toBe(false); // other trust settings: another cache entry
    expect(await roundTrip(pinned, 'three')).toBe('three');
    const off = await connectTls({ ...options, session: false });
    expect(off.isSessionReused()).toBe(false);
    expect(await roundTrip(off, 'four')).toBe('four');
    server.setCertificate(certs.server); // a reload keeps the ticket keys
    const afterReload = await connectTls(options);
    expect(afterReload.isSessionReused()).toBe(true);
    expect(await roundTrip(afterReload, 'five')).toBe('five');
    expect(server.stats()).toMatchObject({ handshakes: 5, resumed: 2 });
  });

  it('negotiates ALPN', async () => {
    const certs = await devCerts();
    const { port } = await serve({
      cert: certs.server.cert,
      key: certs.server.key,
      alpnProtocols: ['h2', 'echo/1'],
    });
    const sock = await connectTls({
      host: '127.0.0.1',
      port,
      ca: certs.caCert,
      alpnProtocols: ['echo/1'],
    });
    expect(sock.alpnProtocol).toBe('echo/1');
    expect(await roundTrip(sock, 'alpn')).toBe('alpn');
    const error = await connectTls({
      host: '127.0.0.1',
      port,
      ca: certs.caCert,
      alpnProtocols: ['x'],
    }).catch((e) => e);
    expect(error).toMatchObject({ code: 'ERR_TLS_HANDSHAKE_FAILED' });
  });

  it('serves several names with SNI, wildcard included', async () => {
    const certs = await devCerts();
    const d1 = tempDir();
    const d2 = tempDir();
    defer(d1.cleanup);
    defer(d2.cleanup);
    const api = await generateDevCertificates({ dir: d1.dir, hosts: ['api.test'] });
    const wild = await generateDevCertificates({ dir: d2.dir, hosts: ['*.apps.test'] });
    const { port } = await serve({
      cert: certs.server.cert,
      key: certs.server.key,
      sni: { 'api.test': api.server, '*.apps.test': wild.server },
    });
    const cases: Array<[string, string, string]> = [
      ['localhost', certs.caCert, certs.server.cert],
      ['api.test', api.caCert, api.server.cert],
      ['one.apps.test', wild.caCert, wild.server.cert],
    ];
    for (const [servername, ca, cert] of cases) {
      const sock = await connectTls({ host: '127.0.0.1', port, servername, ca, session: false });
      expect(peerIdentity(sock)?.fingerprint256).toBe(certificateFingerprint(cert));
      expect(await roundTrip(sock, servername)).toBe(servername);
    }
  });

  it('reloads the certificate: new handshakes use it, live connections go on', async () => {
    const certs = await devCerts();
    const next = tempDir();
    defer(next.cleanup);
    const renewed = await generateDevCertificates({ dir: next.dir });
    const { server, port } = await serve({ cert: certs.server.cert, key: certs.server.key });
    const ca = [certs.caCert, renewed.caCert];
    const live = track(await connectTls({ host: '127.0.0.1', port, ca, session: false }));
    expect(await echoOnce(live, 'before')).toBe('before');

    expect(() =>
      server.setCertificate({ cert: renewed.server.cert, key: certs.server.key }),
    ).toThrow(expect.objectContaining({ code: 'ERR_TLS_BAD_CERTIFICATE' }));
    server.setCertificate(renewed.server);
    const fresh = await connectTls({ host: '127.0.0.1', port, ca, session: false });
    expect(peerIdentity(fresh)?.fingerprint256).toBe(certificateFingerprint(renewed.server.cert));
    expect(await roundTrip(fresh, 'new')).toBe('new');

    expect(await echoOnce(live, 'after')).toBe('after');
    expect(peerIdentity(live)?.fingerprint256).toBe(certificateFingerprint(certs.server.cert));
    expect(server.stats()).toMatchObject({ reloads: 1, active: 1 });
  });

  it('reload() and watch re-read certFile and keyFile', async () => {
    const d = tempDir();
    defer(d.cleanup);
    const first = await generateDevCertificates({ dir: d.dir, hosts: ['localhost', '127.0.0.1'] });
    const { server, port, errors } = await serve({
      certFile: first.files.serverCert,
      keyFile: first.files.serverKey,
      watch: true,
      watchInterval: 50,
    });
    const fingerprintNow = async () => {
      const sock = await connectTls({ host: '127.0.0.1', port, ca: first.caCert, session: false });
      const fp = peerIdentity(sock)?.fingerprint256;
      expect(await roundTrip(sock, 'fp')).toBe('fp');
      return fp;
    };
    expect(await fingerprintNow()).toBe(certificateFingerprint(first.server.cert));
    // new names: the server certificate is regenerated in place, signed by the same CA
    const second = await generateDevCertificates({
      dir: d.dir,
      hosts: ['localhost', '127.0.0.1', 'x.test'],
    });
    await waitFor(() => server.stats().reloads >= 1, 5_000);
    expect(await fingerprintNow()).toBe(certificateFingerprint(second.server.cert));
    await server.reload();
    expect(server.stats().reloads).toBeGreaterThanOrEqual(2);
    expect(errors).toEqual([]);
  });

  it('keeps serving when a handler throws, reporting the error', async () => {
    const certs = await devCerts();
    let calls = 0;
    const { server, port, errors } = await serve(
      { cert: certs.server.cert, key: certs.server.key },
      (conn, peer) => {
        calls++;
        if (calls === 1) throw new Error('handler bug');
        if (calls === 2) return Promise.reject(new Error('async handler bug'));
        return echo(conn, peer);
      },
    );
    for (let i = 0; i < 2; i++) {
      const sock = await connectTls({ host: '127.0.0.1', port, ca: certs.caCert, session: false });
      sock.on('error', () => undefined);
      await once(sock, 'close');
    }
    const ok = await connectTls({ host: '127.0.0.1', port, ca: certs.caCert });
    expect(await roundTrip(ok, 'fine')).toBe('fine');
    expect(errors).toMatchObject([
      { message: 'handler bug', phase: 'handler' },
      { message: 'async handler bug', phase: 'handler' },
    ]);
    expect(server.stats().handlerErrors).toBe(2);
  });

  it('close() waits for live connections up to its timeout, then destroys them', async () => {
    const certs = await devCerts();
    const { server, port } = await serve({ cert: certs.server.cert, key: certs.server.key });
    const live = track(await connectTls({ host: '127.0.0.1', port, ca: certs.caCert }));
    expect(await echoOnce(live, 'x')).toBe('x');
    const pending = track(tcpConnect({ host: '127.0.0.1', port }));
    pending.on('error', () => undefined);
    await once(pending, 'connect');
    const closedPending = once(pending, 'close');
    const closing = server.close({ timeout: 100 });
    await closedPending; // the connection still in its handshake is dropped at once
    await closing;
    await waitFor(() => live.destroyed);
    expect(server.stats().active).toBe(0);
    await expect(server.listen()).rejects.toMatchObject({ code: 'ERR_SERVER_STATE' });
  });

  it('reports listen errors as ERR_LISTEN (the shared ListenError) and bad certificates as ERR_TLS_BAD_CERTIFICATE', async () => {
    const certs = await devCerts();
    const { port } = await serve({ cert: certs.server.cert, key: certs.server.key });
    const second = createTlsServer(() => undefined, {
      cert: certs.server.cert,
      key: certs.server.key,
    });
    const error = await second.listen({ host: '127.0.0.1', port }).catch((e) => e);
    expect(error).toMatchObject({ code: 'ERR_LISTEN' });
    expect(error).toBeInstanceOf(ListenError);
    expect(second.address()).toBeNull();
    expect(() =>
      createTlsServer(() => undefined, { cert: certs.server.cert, key: certs.client.key }),
    ).toThrow(expect.objectContaining({ code: 'ERR_TLS_BAD_CERTIFICATE' }));
    expect(() => createTlsServer(() => undefined, { cert: 'garbage', key: 'garbage' })).toThrow(
      expect.objectContaining({ code: 'ERR_TLS_BAD_CERTIFICATE' }),
    );
    expect(() => createTlsServer(() => undefined, {})).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('upgrades a plain socket with wrapSocket (STARTTLS against a Node TLS server socket)', async () => {
    const certs = await devCerts();
    const { createSecureContext, TLSSocket: NodeTLSSocket } = await import('node:tls');
    const context = createSecureContext({ cert: certs.server.cert, key: certs.server.key });
    const plain = createTcpServer((raw) => {
      raw.on('error', () => undefined);
      raw.once('data', (line) => {
        if (String(line) !== 'STARTTLS\n') return raw.destroy();
        raw.write('OK\n', () => {
          const secure: TLSSocket = new NodeTLSSocket(raw, {
            isServer: true,
            secureContext: context,
          });
          secure.on('error', () => undefined);
          secure.pipe(secure);
        });
      });
    });
    plain.listen(0, '127.0.0.1');
    await once(plain, 'listening');
    defer(() => new Promise((r) => plain.close(r)));
    const raw = track(
      tcpConnect({ host: '127.0.0.1', port: (plain.address() as { port: number }).port }),
    );
    await once(raw, 'connect');
    raw.write('STARTTLS\n');
    const [answer] = await once(raw, 'data');
    expect(String(answer)).toBe('OK\n');
    const upgraded = await wrapSocket(raw, { servername: 'localhost', ca: certs.caCert });
    expect(upgraded.authorized).toBe(true);
    expect(await roundTrip(upgraded, 'over tls')).toBe('over tls');
  });
});
