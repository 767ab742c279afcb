import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateDevCertificates } from '../src/index.js';
import { expiredServerCert, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('generateDevCertificates', () => {
  it('makes a CA and server/client certificates signed by it, written with keys at mode 0600', async () => {
    const d = dir();
    const certs = await generateDevCertificates({
      dir: d,
      hosts: ['localhost', '127.0.0.1', '::1'],
      client: true,
    });
    expect(certs.generated).toEqual(['ca', 'server', 'client']);
    const ca = new X509Certificate(certs.caCert);
    const server = new X509Certificate(certs.server.cert);
    const client = new X509Certificate(certs.client?.cert ?? '');
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true);
    expect(client.checkIssued(ca) && client.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(client.subject).toContain('CN=dev-client');
    for (const name of ['ca.key', 'server.key', 'client.key']) {
      expect(statSync(join(d, name)).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(join(d, 'server.crt'), 'utf8')).toBe(certs.server.cert);
    expect(readFileSync(join(d, 'server.key'), 'utf8')).toBe(certs.server.key);
    expect(certs.files.clientKey).toBe(join(d, 'client.key'));
    // IPv6 names compare in canonical form: the same request reuses everything
    const again = await generateDevCertificates({
      dir: d,
      hosts: ['localhost', '127.0.0.1', '0::1'],
      client: true,
    });
    expect(again.generated).toEqual([]);
  });

  it('reuses valid files, and regenerates only the server certificate when the names change', async () => {
    const d = dir();
    const first = await generateDevCertificates({ dir: d, hosts: ['localhost'] });
    const again = await generateDevCertificates({ dir: d, hosts: ['localhost'] });
    expect(again.generated).toEqual([]);
    expect(again.server).toEqual(first.server);
    expect(again.caCert).toBe(first.caCert);

    const renamed = await generateDevCertificates({ dir: d, hosts: ['localhost', 'api.test'] });
    expect(renamed.generated).toEqual(['server']);
    expect(renamed.caCert).toBe(first.caCert);
    expect(new X509Certificate(renamed.server.cert).checkHost('api.test')).toBe('api.test');
    // same names in another order and with duplicates: reused
    const reordered = await generateDevCertificates({
      dir: d,
      hosts: ['api.test', 'localhost', 'api.test'],
    });
    expect(reordered.generated).toEqual([]);

    const withClient = await generateDevCertificates({
      dir: d,
      hosts: ['localhost', 'api.test'],
      client: true,
    });
    expect(withClient.generated).toEqual(['client']);
  });

  it('regenerates an expired server certificate and a key that does not match', async () => {
    const d = dir();
    const first = await generateDevCertificates({ dir: d, hosts: ['localhost', '127.0.0.1'] });
    const caKey = readFileSync(first.files.caKey, 'utf8');
    const expired = await expiredServerCert({ cert: first.caCert, key: caKey });
    writeFileSync(join(d, 'server.crt'), expired.cert);
    writeFileSync(join(d, 'server.key'), expired.key);
    const renewed = await generateDevCertificates({ dir: d, hosts: ['localhost', '127.0.0.1'] });
    expect(renewed.generated).toEqual(['server']);
    expect(Date.parse(new X509Certificate(renewed.server.cert).validTo)).toBeGreaterThan(
      Date.now(),
    );

    writeFileSync(join(d, 'server.key'), expired.key); // a key from another certificate
    const fixed = await generateDevCertificates({ dir: d, hosts: ['localhost', '127.0.0.1'] });
    expect(fixed.generated).toEqual(['server']);
  });

  it('renews certificates that expire within renewBeforeDays, and a broken CA with everything', async () => {
    const d = dir();
    await generateDevCertificates({ dir: d, validityDays: 3 });
    const renewed = await generateDevCertificates({ dir: d, validityDays: 3, renewBeforeDays: 5 });
    expect(renewed.generated).toEqual(['server']); // the CA lives 30 days
    writeFileSync(join(d, 'ca.crt'), 'garbage');
    const all = await generateDevCertificates({ dir: d });
    expect(all.generated).toEqual(['ca', 'server']);
  });

  it('gives concurrent callers on one directory the same consistent set', async () => {
    const d = dir();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => generateDevCertificates({ dir: d, client: true })),
    );
    for (const r of results) {
      expect(r.caCert).toBe(results[0]?.caCert);
      expect(r.server.cert).toBe(results[0]?.server.cert);
    }
    expect(results.flatMap((r) => r.generated)).toEqual(['ca', 'server', 'client']);
  });

  it('rejects bad options with ERR_INVALID_ARGUMENT', async () => {
    await expect(generateDevCertificates({ dir: '' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(generateDevCertificates({ dir: dir(), hosts: [] })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(generateDevCertificates({ dir: dir(), validityDays: -1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it('fails with ERR_TLS_DEV_CERTS when the directory cannot be created', async () => {
    const d = dir();
    writeFileSync(join(d, 'file'), 'x');
    await expect(generateDevCertificates({ dir: join(d, 'file', 'sub') })).rejects.toMatchObject({
      code: 'ERR_TLS_DEV_CERTS',
    });
  });
});
