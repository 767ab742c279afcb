/**
 * Certificate identities: SHA-256 fingerprints of a certificate and of its public key
 * (SPKI), the verified peer of a TLS socket, and matching against pins.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { InvalidArgumentError } from './errors.js';

/** Who is at the other end of a verified TLS connection. */
export interface PeerIdentity {
  /** The subject as one string, e.g. `CN=dev-client` (fields joined with `, `). */
  subject: string;
  /** The subject's fields, e.g. `{ CN: 'dev-client' }`. */
  subjectFields: Record<string, string>;
  /** The issuer as one string, e.g. `CN=@net/tls development CA`. */
  issuer: string;
  /** SHA-256 fingerprint of the certificate (DER), upper-case hex with colons (as `openssl x509 -fingerprint -sha256`). */
  fingerprint256: string;
  /** SHA-256 of the certificate's public key (SPKI DER) as `sha256//<base64>` (as `curl --pinnedpubkey`). */
  spki256: string;
  /** The certificate's serial number (hex). */
  serialNumber: string;
  /** The subject alternative names, e.g. `DNS:localhost, IP Address:127.0.0.1`, if any. */
  subjectAltName: string | undefined;
  /** Start of validity, as Node prints it (`valid_from`, e.g. `Jan  1 00:00:00 2025 GMT`). */
  validFrom: string;
  /** End of validity, in the same form (`valid_to`). */
  validTo: string;
}

/** The SHA-256 fingerprint of a certificate (PEM or DER), upper-case hex with colons. */
export function certificateFingerprint(cert: string | Buffer): string {
  return new X509Certificate(cert).fingerprint256;
}

/** The SHA-256 of a certificate's public key (SPKI), as `sha256//<base64>`. */
export function spkiFingerprint(cert: string | Buffer | X509Certificate): string {
  const x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  const der = x509.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256//${createHash('sha256').update(der).digest('base64')}`;
}

function joinFields(fields: Record<string, string | string[]> | undefined): string {
  if (!fields) return '';
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

/**
 * The verified peer of a TLS socket: its subject and SHA-256 fingerprints. On a server
 * with `clientCa`, this is the client that passed mutual TLS; on a client, the server.
 * Returns `null` when the peer sent no certificate or it did not verify (`socket.authorized`).
 */
export function peerIdentity(socket: TLSSocket): PeerIdentity | null {
  if (!socket.authorized) return null;
  const cert: PeerCertificate = socket.getPeerCertificate();
  if (!cert?.raw) return null;
  const x509 = new X509Certificate(cert.raw);
  const subjectFields: Record<string, string> = {};
  for (const [k, v] of Object.entries(cert.subject ?? {})) {
    subjectFields[k] = Array.isArray(v) ? v.join('+') : String(v);
  }
  return {
    subject: joinFields(cert.subject as unknown as Record<string, string>),
    subjectFields,
    issuer: joinFields(cert.issuer as unknown as Record<string, string>),
    fingerprint256: cert.fingerprint256,
    spki256: spkiFingerprint(x509),
    serialNumber: cert.serialNumber,
    subjectAltName: cert.subjectaltname,
    validFrom: cert.valid_from,
    validTo: cert.valid_to,
  };
}

/** A parsed pin: either of the leaf certificate or of its public key. */
export interface Pin {
  kind: 'cert' | 'spki';
  value: string;
}

/**
 * Parses pins: `sha256//<base64>` is a public-key (SPKI) pin, 64 hex digits (colons
 * optional, any case) a certificate fingerprint pin.
 */
export function parsePins(pins: string | readonly string[]): Pin[] {
  const list = typeof pins === 'string' ? [pins] : pins;
  if (list.length === 0) throw new InvalidArgumentError('`pin` must list at least one fingerprint');
  return list.map((pin) => {
    if (pin.startsWith('sha256//')) {
      const b64 = pin.slice('sha256//'.length);
      if (Buffer.from(b64, 'base64').length !== 32) {
        throw new InvalidArgumentError(
          `Pin "${pin}" is not sha256// followed by 32 bytes in base64`,
        );
      }
      return { kind: 'spki', value: pin };
    }
    const hex = pin.replaceAll(':', '').toUpperCase();
    if (!/^[0-9A-F]{64}$/.test(hex)) {
      throw new InvalidArgumentError(
        `Pin "${pin}" is neither a SHA-256 certificate fingerprint (64 hex digits) nor sha256//<base64 of the public key>`,
      );
    }
    return { kind: 'cert', value: hex };
  });
}

/** Whether the certificate (DER) matches one of the pins. */
export function matchesPin(raw: Buffer, pins: readonly Pin[]): boolean {
  const x509 = new X509Certificate(raw);
  const certHex = x509.fingerprint256.replaceAll(':', '');
  let spki: string | undefined;
  return pins.some((pin) => {
    if (pin.kind === 'cert') return pin.value === certHex;
    spki ??= spkiFingerprint(x509);
    return pin.value === spki;
  });
}
