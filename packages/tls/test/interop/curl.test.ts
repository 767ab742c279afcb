import { requirePeer, runPeer as run } from '@net/test-peers';
import { beforeAll, describe, expect, it } from 'vitest';
import { spkiFingerprint, type TlsConnection } from '../../src/index.js';
import { devCerts, useCleanups, waitFor } from '../helpers.js';

/** A tiny HTTP/1.1 handler: answers the request with its TLS facts and closes. */
async function httpHandler(conn: TlsConnection, peer: { subject: string } | null): Promise<void> {
  await conn.readUntil('\r\n\r\n');
  const { socket } = conn;
  const body = `hello over ${socket.getProtocol()} alpn=${socket.alpnProtocol || 'none'} peer=${peer?.subject ?? 'none'}\n`;
  await conn.write(
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const { serve } = useCleanups();

function curl(port: number, args: string[]) {
  return run('curl', [
    '--silent',
    '--show-error',
    '--max-time',
    '10',
    '--http1.1',
    '--resolve',
    `localhost:${port}:127.0.0.1`,
    ...args,
    `https://localhost:${port}/`,
  ]);
}

describe('interop with curl', () => {
  beforeAll(() => requirePeer('curl', ['--version'], 'Debian: apt-get install curl'));

  it('curl --cacert makes an HTTPS request (ALPN http/1.1), and fails without the CA (exit 60)', async () => {
    const certs = await devCerts();
    const { port, errors } = await serve(
      { cert: certs.server.cert, key: certs.server.key, alpnProtocols: ['http/1.1'] },
      httpHandler,
    );
    const ok = await curl(port, ['--cacert', certs.files.caCert]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('hello over TLSv1.3 alpn=http/1.1 peer=none\n');
    const untrusted = await curl(port, []);
    expect(untrusted.code).toBe(60);
    await waitFor(() => errors.length === 1); // curl hung up on a server it does not trust
    expect(errors[0]).toMatchObject({
      code: 'ERR_TLS_SERVER_CERT_REJECTED',
      opensslCode: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
    });
  });

  it('curl with a client certificate passes mutual TLS; without one it is refused', async () => {
    const certs = await devCerts();
    const { port, errors } = await serve(
      { cert: certs.server.cert, key: certs.server.key, clientCa: certs.caCert },
      httpHandler,
    );
    const ok = await curl(port, [
      '--cacert',
      certs.files.caCert,
      '--cert',
      certs.files.clientCert ?? '',
      '--key',
      certs.files.clientKey ?? '',
    ]);
    expect(ok.stdout).toBe('hello over TLSv1.3 alpn=none peer=CN=dev-client\n');
    const refused = await curl(port, ['--cacert', certs.files.caCert]);
    expect(refused.stdout).toBe('');
    expect(refused.code).not.toBe(0);
    await waitFor(() => errors.length === 1);
    expect(errors[0]).toMatchObject({ code: 'ERR_TLS_CLIENT_CERT_REQUIRED' });
  });

  it('curl --pinnedpubkey accepts our spkiFingerprint() format and refuses another key', async () => {
    const certs = await devCerts();
    const { port } = await serve({ cert: certs.server.cert, key: certs.server.key }, httpHandler);
    const ok = await curl(port, [
      '--cacert',
      certs.files.caCert,
      '--pinnedpubkey',
      spkiFingerprint(certs.server.cert),
    ]);
    expect(ok.stdout).toContain('hello over');
    const bad = await curl(port, [
      '--cacert',
      certs.files.caCert,
      '--pinnedpubkey',
      spkiFingerprint(certs.caCert),
    ]);
    expect(bad.code).toBe(90); // CURLE_SSL_PINNEDPUBKEYNOTMATCH
  });
});
