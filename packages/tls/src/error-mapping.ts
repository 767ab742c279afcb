/**
 * Turns OpenSSL's and Node's TLS error codes into the typed errors of `errors.ts`, with
 * messages that say what to do.
 */
import type { TLSSocket } from 'node:tls';
import { sanList } from './dev-certificates.js';
import {
  CertificateExpiredError,
  CertificateVerificationError,
  ClientCertificateRejectedError,
  ClientCertificateRequiredError,
  clientHandshakeTimeout,
  HandshakeError,
  HostnameMismatchError,
  NetError,
  ServerCertificateRejectedError,
  UntrustedCertificateError,
} from './errors.js';

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** Alerts a peer sends when it refuses the certificate it was shown. */
const CLIENT_CERT_REFUSED = new Set([
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
]);

const CLIENT_CERT_MISSING = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', // client side, TLS 1.3
  'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', // server side
]);

/** What {@link toTlsError} may be told about the socket, for its messages. */
export interface ToTlsErrorContext {
  /** The handshake timeout in force, in ms. */
  handshakeTimeout?: number;
}

/**
 * Converts an error from a TLS socket (client or server side) into a typed `@net/tls`
 * error: `NetError`s are returned as they are, OpenSSL verification codes, alerts and
 * Node's TLS codes become the matching class with the original as `cause`, anything
 * else becomes a {@link HandshakeError}. Use it on errors a connected socket emits later,
 * e.g. a TLS 1.3 server refusing the client certificate after the client's handshake ended.
 */
export function toTlsError(error: unknown, context: ToTlsErrorContext = {}): NetError {
  if (error instanceof NetError) return error;
  const err = error as
    | (Error & {
        code?: unknown;
        host?: string;
        cert?: { subjectaltname?: string };
      })
    | undefined;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const info = { cause: error, opensslCode: code };
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(error);
  if (code === undefined) return new HandshakeError(message, info);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new HostnameMismatchError(
      err?.host ?? 'the requested name',
      sanList(err?.cert?.subjectaltname),
      info,
    );
  }
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
    // Node's own code (a TLSSocket's handshakeTimeout option): ours is ERR_HANDSHAKE_TIMEOUT.
    return clientHandshakeTimeout(context.handshakeTimeout ?? 0, 'the peer', error);
  }
  if (UNTRUSTED.has(code)) return new UntrustedCertificateError(info);
  if (code === 'CERT_HAS_EXPIRED') return new CertificateExpiredError(info);
  if (CLIENT_CERT_MISSING.has(code)) return new ClientCertificateRequiredError(info);
  if (CLIENT_CERT_REFUSED.has(code)) return new ClientCertificateRejectedError(info);
  // OpenSSL verification codes are upper-case words joined by '_' (CERT_NOT_YET_VALID, ...).
  if (/^[A-Z]+(_[A-Z0-9]+)+$/.test(code) && !code.startsWith('ERR_')) {
    return new CertificateVerificationError(message, info);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new HandshakeError(
      `the peer closed the connection during the handshake (${code}); a server that requires ` +
        'client certificates closes it this way when it refuses the one sent',
      info,
    );
  }
  return new HandshakeError(message, info);
}

/**
 * Server side: the typed error for a `tlsClientError`. Node closes a mutual-TLS client
 * whose certificate fails verification without an OpenSSL error (the socket's
 * `authorizationError` holds the reason), so that case is recognised here.
 */
export function toServerError(
  error: unknown,
  socket: TLSSocket | undefined,
  context: ToTlsErrorContext,
): NetError {
  const reason = socket?.authorizationError;
  if (reason !== undefined && reason !== null) {
    return new ClientCertificateRejectedError({ cause: error, opensslCode: String(reason) });
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  // Alerts a server receives are about its own certificate, not the client's.
  if (typeof code === 'string' && CLIENT_CERT_REFUSED.has(code)) {
    return new ServerCertificateRejectedError({ cause: error, opensslCode: code });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new HandshakeError(
      `the client closed the connection during the handshake (${code}); it probably does not ` +
        "trust this server's certificate or its names (give clients the CA certificate)",
      { cause: error, opensslCode: code },
    );
  }
  return toTlsError(error, context);
}
