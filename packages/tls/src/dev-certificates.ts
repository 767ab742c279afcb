/**
 * Development certificates: a local CA and leaf certificates (server, optional client)
 * signed by it, made with `selfsigned`, cached in a directory and reused while valid.
 */
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generate } from 'selfsigned';
import { DevCertificateError, InvalidArgumentError } from './errors.js';

/** Options of {@link generateDevCertificates}. */
export interface DevCertificateOptions {
  /** Directory the PEM files are written to and reused from (created if missing). */
  dir: string;
  /** DNS names and IP addresses the server certificate covers. The first one is its CN. */
  hosts?: string[];
  /** Also make a client certificate (for mutual TLS). */
  client?: boolean;
  /** Common name of the client certificate. */
  clientName?: string;
  /** Validity of new leaf certificates, in days (the CA gets ten times as long). */
  validityDays?: number;
  /** Certificates that expire within this many days are regenerated. */
  renewBeforeDays?: number;
}

/** A certificate and its private key, as PEM strings. */
export interface CertificatePair {
  /** The certificate (PEM). */
  cert: string;
  /** Its private key (PKCS#8 PEM). */
  key: string;
}

/** What {@link generateDevCertificates} returns. */
export interface DevCertificates {
  /** The local CA's certificate (PEM): the `ca` of clients, the `clientCa` of servers. */
  caCert: string;
  /** The server certificate for `hosts`, signed by the CA. */
  server: CertificatePair;
  /** The client certificate, when `client: true` was asked for. */
  client?: CertificatePair;
  /** Paths of the files in `dir` (relative when `dir` is). */
  files: {
    /** `ca.crt`, the CA's certificate: clients' `ca`, and servers' `clientCa` for mutual TLS. */
    caCert: string;
    /** `ca.key`, the CA's private key (it signs the leaves). */
    caKey: string;
    /** `server.crt`, the server's certificate. */
    serverCert: string;
    /** `server.key`, its private key. */
    serverKey: string;
    /** `client.crt`, with `client: true`. */
    clientCert?: string;
    /** `client.key`, with `client: true`. */
    clientKey?: string;
  };
  /** Which certificates this call generated (empty when everything was reused). */
  generated: Array<'ca' | 'server' | 'client'>;
}

/** Defaults of {@link generateDevCertificates}. */
export const DEV_CERTIFICATE_DEFAULTS = {
  /** This machine by name and by IPv4 and IPv6 loopback. */
  hosts: ['localhost', '127.0.0.1', '::1'] as string[],
  /** No client certificate. */
  client: false,
  /** CN of the client certificate. */
  clientName: 'dev-client',
  /** A year for leaves (ten for the CA). */
  validityDays: 365,
  /** Regenerate a week before expiry. */
  renewBeforeDays: 7,
} as const satisfies Required<Omit<DevCertificateOptions, 'dir'>>;

const FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  serverCert: 'server.crt',
  serverKey: 'server.key',
  clientCert: 'client.crt',
  clientKey: 'client.key',
} as const;

const DAY_MS = 86_400_000;
const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 60_000;
const inProcess = new Map<string, Promise<unknown>>();

/**
 * Returns a local development CA and a server certificate (and a client certificate with
 * `client: true`) signed by it, as PEM strings, also written to `dir` (`ca.crt`, `ca.key`,
 * `server.crt`, `server.key`, `client.crt`, `client.key`; keys with mode 0600). Files
 * already in `dir` are reused while valid for `renewBeforeDays` more days and, for the
 * server certificate, issued for exactly `hosts`; otherwise they are regenerated (the CA
 * is kept unless it is missing, invalid or expiring, so clients that trust it keep working).
 * Safe to call from several processes at once (a lock directory in `dir` serialises them).
 */
export async function generateDevCertificates(
  options: DevCertificateOptions,
): Promise<DevCertificates> {
  const opts = { ...DEV_CERTIFICATE_DEFAULTS, ...options };
  if (typeof opts.dir !== 'string' || opts.dir === '') {
    throw new InvalidArgumentError('generateDevCertificates needs `dir`, a directory path');
  }
  if (!Array.isArray(opts.hosts) || opts.hosts.length === 0) {
    throw new InvalidArgumentError('`hosts` must list at least one DNS name or IP address');
  }
  for (const n of ['validityDays', 'renewBeforeDays'] as const) {
    if (!Number.isFinite(opts[n]) || opts[n] < 0) {
      throw new InvalidArgumentError(`\`${n}\` must be a number of days >= 0, got ${opts[n]}`);
    }
  }
  // One generation per directory at a time in this process; the lock covers other processes.
  const previous = inProcess.get(opts.dir) ?? Promise.resolve();
  const current = previous
    .catch(() => undefined)
    .then(() => withLock(opts.dir, () => ensure(opts)));
  inProcess.set(opts.dir, current);
  try {
    return await current;
  } finally {
    if (inProcess.get(opts.dir) === current) inProcess.delete(opts.dir);
  }
}

type Resolved = Required<DevCertificateOptions>;

async function ensure(opts: Resolved): Promise<DevCertificates> {
  const path = (name: keyof typeof FILES) => join(opts.dir, FILES[name]);
  const renewAt = Date.now() + opts.renewBeforeDays * DAY_MS;
  const generated: DevCertificates['generated'] = [];

  let ca = await readPair(path('caCert'), path('caKey'));
  if (ca === undefined || !usable(ca, renewAt) || !ca.x509.ca) {
    ca = await makeCa(opts);
    await writePair(ca, path('caCert'), path('caKey'));
    generated.push('ca');
  }
  const hosts = [...new Set(opts.hosts)];
  let server = await readPair(path('serverCert'), path('serverKey'));
  if (server === undefined || !signedBy(server, ca, renewAt) || !sameNames(server, hosts)) {
    server = await makeLeaf(ca, hosts[0] as string, opts, 'server', hosts);
    await writePair(server, path('serverCert'), path('serverKey'));
    generated.push('server');
  }
  const result: DevCertificates = {
    caCert: ca.cert,
    server: { cert: server.cert, key: server.key },
    files: {
      caCert: path('caCert'),
      caKey: path('caKey'),
      serverCert: path('serverCert'),
      serverKey: path('serverKey'),
    },
    generated,
  };
  if (opts.client) {
    let client = await readPair(path('clientCert'), path('clientKey'));
    if (
      client === undefined ||
      !signedBy(client, ca, renewAt) ||
      !hasSubject(client, opts.clientName)
    ) {
      client = await makeLeaf(ca, opts.clientName, opts, 'client', []);
      await writePair(client, path('clientCert'), path('clientKey'));
      generated.push('client');
    }
    result.client = { cert: client.cert, key: client.key };
    result.files.clientCert = path('clientCert');
    result.files.clientKey = path('clientKey');
  }
  return result;
}

interface LoadedPair extends CertificatePair {
  x509: X509Certificate;
}

async function readPair(certPath: string, keyPath: string): Promise<LoadedPair | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    const x509 = new X509Certificate(cert);
    if (!x509.checkPrivateKey(createPrivateKey(key))) return undefined;
    return { cert, key, x509 };
  } catch {
    return undefined; // missing or unreadable files are regenerated
  }
}

function usable(pair: LoadedPair, renewAt: number): boolean {
  return Date.parse(pair.x509.validFrom) <= Date.now() && Date.parse(pair.x509.validTo) > renewAt;
}

function signedBy(leaf: LoadedPair, ca: LoadedPair, renewAt: number): boolean {
  return (
    usable(leaf, renewAt) && leaf.x509.checkIssued(ca.x509) && leaf.x509.verify(ca.x509.publicKey)
  );
}

function sameNames(leaf: LoadedPair, hosts: string[]): boolean {
  const have = sanList(leaf.x509.subjectAltName).sort();
  const want = hosts.map((h) => (isIP(h) ? normaliseIp(h) : h.toLowerCase())).sort();
  return have.length === want.length && have.every((name, i) => name === want[i]);
}

function hasSubject(leaf: LoadedPair, name: string): boolean {
  return leaf.x509.subject.split('\n').includes(`CN=${name}`);
}

/** The names of a `subjectAltName` string as Node prints it (`DNS:a, IP Address:1.2.3.4`). */
export function sanList(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  return subjectAltName.split(', ').map((entry) => {
    const value = entry.slice(entry.indexOf(':') + 1).replace(/^"|"$/g, '');
    return entry.startsWith('IP Address:') ? normaliseIp(value) : value.toLowerCase();
  });
}

function normaliseIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  // Node prints IPv6 SANs in full (0:0:0:0:0:0:0:1); compare in one canonical form.
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

function dates(opts: Resolved, factor: number): { notBeforeDate: Date; notAfterDate: Date } {
  const notBeforeDate = new Date(Date.now() - 60_000); // tolerate small clock skew
  return {
    notBeforeDate,
    notAfterDate: new Date(Date.now() + opts.validityDays * factor * DAY_MS),
  };
}

async function makeCa(opts: Resolved): Promise<LoadedPair> {
  // A unique name: OpenSSL finds issuers by name, so two dev CAs trusted together must differ.
  const name = `@net/tls development CA ${randomBytes(4).toString('hex')}`;
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...dates(opts, 10),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      {
        name: 'keyUsage',
        keyCertSign: true,
        cRLSign: true,
        digitalSignature: true,
        critical: true,
      },
    ],
  });
  return { cert: pems.cert, key: pems.private, x509: new X509Certificate(pems.cert) };
}

async function makeLeaf(
  ca: LoadedPair,
  commonName: string,
  opts: Resolved,
  usage: 'server' | 'client',
  hosts: string[],
): Promise<LoadedPair> {
  const altNames = hosts.map((h) =>
    isIP(h) ? { type: 7 as const, ip: h } : { type: 2 as const, value: h },
  );
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ca: { cert: ca.cert, key: ca.key },
    ...dates(opts, 1),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      usage === 'server'
        ? { name: 'extKeyUsage', serverAuth: true }
        : { name: 'extKeyUsage', clientAuth: true },
      ...(altNames.length > 0 ? [{ name: 'subjectAltName' as const, altNames }] : []),
    ],
  });
  return { cert: pems.cert, key: pems.private, x509: new X509Certificate(pems.cert) };
}

async function writePair(pair: LoadedPair, certPath: string, keyPath: string): Promise<void> {
  // Write to a temporary name and rename, so readers never see half a file.
  await atomicWrite(keyPath, pair.key, 0o600);
  await atomicWrite(certPath, pair.cert, 0o644);
}

async function atomicWrite(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, data, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw new DevCertificateError(
      `Could not write ${path}; check that the directory is writable`,
      error,
    );
  }
}

async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new DevCertificateError(`Could not create the certificate directory ${dir}`, error);
  }
  const lock = join(dir, '.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DevCertificateError(`Could not create the lock ${lock}`, error);
      }
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > LOCK_STALE_MS) {
        await rm(lock, { recursive: true, force: true }); // left by a process that died
        continue;
      }
      if (Date.now() > deadline) {
        throw new DevCertificateError(
          `Timed out waiting for ${lock}; another process holds it. Remove it if no process is generating certificates`,
        );
      }
      await sleep(Math.min(20 * 2 ** attempt, 250));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}
