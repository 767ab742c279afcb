import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requirePeer, runPeer as run } from '@net/test-peers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PeerIdentity, TlsConnection } from '../../src/index.js';
import { devCerts, expiredServerCert, tempDir, useCleanups, waitFor } from '../helpers.js';

/** Answers the first line with `echo:<line> peer:<subject>` and closes. */
async function lineHandler(conn: TlsConnection, peer: PeerIdentity | null): Promise<void> {
  const line = await conn.readLine();
  if (line !== null) await conn.write(`echo:${line.trim()} peer:${peer?.subject ?? 'none'}\n`);
}

const { defer, serve } = useCleanups();

/** openssl s_client with -ign_eof: sends `hello`, exits when the server closes. */
function sClient(port: number, extra: string[]) {
  return run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-ign_eof', ...extra], {
    input: 'hello\n',
  });
}

describe('interop with openssl s_client', () => {
  beforeAll(() => requirePeer('openssl', ['version'], 'Debian: apt-get install openssl'));

  it('verifies the server against the dev CA and hostname with -verify_return_error', async () => {
    const certs = await devCerts();
    const { port, errors } = await serve(
      { cert: certs.server.cert, key: certs.server.key },
      lineHandler,
    );
    const result = await sClient(port, [
      '-servername',
      'localhost',
      '-verify_hostname',
      'localhost',
      '-CAfile',
      certs.files.caCert,
      '-verify_return_error',
    ]);
    expect(result.stdout).toContain('echo:hello peer:none');
    expect(result.stdout).toContain('Verify return code: 0 (ok)');
    expect(result.code).toBe(0);
    expect(errors).toEqual([]);
  });

  it('refuses TLS 1.1 (minimum TLS 1.2)', async () => {
    const certs = await devCerts();
    const { port, errors } = await serve(
      { cert: certs.server.cert, key: certs.server.key },
      lineHandler,
    );
    // OpenSSL 3 needs security level 0 to even offer TLS 1.1
    const result = await sClient(port, [
      '-tls1_1',
      '-cipher',
      'DEFAULT@SECLEVEL=0',
      '-CAfile',
      certs.files.caCert,
    ]);
    expect(result.stdout).not.toContain('echo:');
    expect(result.code).not.toBe(0);
    await waitFor(() => errors.length === 1);
    expect(errors.map((e) => e.code)).toEqual(['ERR_TLS_HANDSHAKE_FAILED']);
  });

  it('s_client rejects an expired certificate and a wrong hostname', async () => {
    const certs = await devCerts();
    const expired = await expiredServerCert({
      cert: certs.caCert,
      key: readFileSync(certs.files.caKey, 'utf8'),
    });
    const old = await serve(expired, lineHandler);
    const r1 = await sClient(old.port, [
      '-servername',
      'localhost',
      '-CAfile',
      certs.files.caCert,
      '-verify_return_error',
    ]);
    expect(r1.stdout + r1.stderr).toContain('certificate has expired');
    expect(r1.code).not.toBe(0);

    const { port } = await serve({ cert: certs.server.cert, key: certs.server.key }, lineHandler);
    const r2 = await sClient(port, [
      '-verify_hostname',
      'wrong.example',
      '-CAfile',
      certs.files.caCert,
      '-verify_return_error',
    ]);
    expect(r2.stdout + r2.stderr).toMatch(/hostname mismatch/i);
    expect(r2.code).not.toBe(0);
  });

  it('mutual TLS: a client certificate signed by clientCa is accepted and identified', async () => {
    const certs = await devCerts();
    const { port, server } = await serve(
      { cert: certs.server.cert, key: certs.server.key, clientCa: certs.caCert },
      lineHandler,
    );
    const result = await sClient(port, [
      '-servername',
      'localhost',
      '-CAfile',
      certs.files.caCert,
      '-verify_return_error',
      '-cert',
      certs.files.clientCert ?? '',
      '-key',
      certs.files.clientKey ?? '',
    ]);
    expect(result.stdout).toContain('echo:hello peer:CN=dev-client');
    expect(result.code).toBe(0);
    expect(server.stats()).toMatchObject({ handshakes: 1, handshakeFailures: 0 });
  });

  it('mutual TLS: without a client certificate, or with one from another CA, the handshake fails', async () => {
    const certs = await devCerts();
    const { port, errors } = await serve(
      { cert: certs.server.cert, key: certs.server.key, clientCa: certs.caCert },
      lineHandler,
    );
    const none = await sClient(port, ['-servername', 'localhost', '-CAfile', certs.files.caCert]);
    expect(none.stdout).not.toContain('echo:');
    expect(none.stdout + none.stderr).toMatch(/certificate required|alert/i);

    const other = tempDir();
    defer(other.cleanup);
    const { generateDevCertificates } = await import('../../src/index.js');
    const foreign = await generateDevCertificates({ dir: other.dir, client: true });
    const wrong = await sClient(port, [
      '-servername',
      'localhost',
      '-CAfile',
      certs.files.caCert,
      '-cert',
      foreign.files.clientCert ?? '',
      '-key',
      foreign.files.clientKey ?? '',
    ]);
    expect(wrong.stdout).not.toContain('echo:');
    await waitFor(() => errors.length === 2);
    expect(errors.map((e) => e.code)).toEqual([
      'ERR_TLS_CLIENT_CERT_REQUIRED',
      'ERR_TLS_CLIENT_CERT_REJECTED',
    ]);
  });

  it('our fingerprints agree with openssl x509 -fingerprint -sha256', async () => {
    const certs = await devCerts();
    const { certificateFingerprint } = await import('../../src/index.js');
    const d = tempDir();
    defer(d.cleanup);
    const file = join(d.dir, 'server.crt');
    writeFileSync(file, certs.server.cert);
    const result = await run('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256']);
    expect(result.stdout.trim().split('=')[1]).toBe(certificateFingerprint(certs.server.cert));
  });
});
