/**
 * Error classes of `@net/tls`. Each extends {@link NetError} (from `@net/core`) with a
 * stable `code`; OpenSSL's and Node's own codes are kept on `opensslCode` and the original
 * error on `cause`. {@link toTlsError} (in `error-mapping.ts`) builds them. Conditions
 * every `@net` package shares use the shared classes: `ERR_HANDSHAKE_TIMEOUT` is
 * `@net/tcp-server`'s {@link HandshakeTimeoutError} on both sides of a connection, and
 * `ERR_ABORTED`, `ERR_LISTEN`, `ERR_SERVER_STATE`, `ERR_INVALID_ARGUMENT` come from `@net/core`.
 */
import { AbortedError, NetError } from '@net/core';
import { HandshakeTimeoutError } from '@net/tcp-server';

export {
  AbortedError,
  InvalidArgumentError,
  ListenError,
  NetError,
  ServerStateError,
} from '@net/core';
export { HandshakeTimeoutError } from '@net/tcp-server';

/**
 * Fields shared by the errors that wrap an OpenSSL / Node TLS error. Not exported: the
 * reference shows its fields in place.
 *
 * @inline
 */
interface WrapInfo {
  /** The original error (its `code` is in `opensslCode`). */
  cause?: unknown;
  /** The OpenSSL or Node code of the original error, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  opensslCode?: string;
}

/** Base of the errors that wrap an OpenSSL / Node TLS error. */
export class TlsError extends NetError {
  /** The OpenSSL or Node code of the wrapped error, when there was one. */
  readonly opensslCode: string | undefined;

  constructor(code: string, message: string, info: WrapInfo = {}) {
    super(code, message, info.cause === undefined ? undefined : { cause: info.cause });
    this.opensslCode = info.opensslCode;
  }
}

/**
 * The peer's certificate does not chain to a CA the client trusts (unknown CA, self-signed
 * certificate, missing intermediate).
 */
export class UntrustedCertificateError extends TlsError {
  constructor(info: WrapInfo) {
    super(
      'ERR_TLS_UNTRUSTED_CERT',
      `The server's certificate is not signed by a CA this client trusts (${info.opensslCode}); ` +
        'pass `ca` with the certificate of the CA that signed it (for development certificates: ' +
        'the `caCert` of generateDevCertificates), or send the intermediate certificates from the server',
      info,
    );
  }
}

/** The certificate is valid but does not cover the name the client asked for. */
export class HostnameMismatchError extends TlsError {
  /** The name the client checked (`servername`, or `host`). */
  readonly host: string;
  /** The DNS names and IP addresses the certificate covers. */
  readonly names: string[];

  constructor(host: string, names: string[], info: WrapInfo) {
    const covered = names.length > 0 ? names.join(', ') : 'no names at all';
    super(
      'ERR_TLS_HOSTNAME_MISMATCH',
      `The server's certificate does not cover "${host}"; it covers ${covered}. Connect with ` +
        '`servername` set to one of those names, or issue a certificate that includes ' +
        `"${host}" (generateDevCertificates({ hosts: [...] }))`,
      info,
    );
    this.host = host;
    this.names = names;
  }
}

/** The peer's certificate (or one in its chain) is past its `notAfter` date. */
export class CertificateExpiredError extends TlsError {
  constructor(info: WrapInfo) {
    super(
      'ERR_TLS_CERT_EXPIRED',
      "The peer's certificate has expired; renew it on the peer (development certificates are " +
        'renewed by calling generateDevCertificates again), and check the clocks of both machines',
      info,
    );
  }
}

/** Any other certificate verification failure (not yet valid, revoked, bad signature, ...). */
export class CertificateVerificationError extends TlsError {
  constructor(detail: string, info: WrapInfo) {
    super(
      'ERR_TLS_CERT_INVALID',
      `The peer's certificate failed verification: ${detail} (${info.opensslCode}); fix the ` +
        'certificate on the peer, or check `ca` and the clocks of both machines',
      info,
    );
  }
}

/**
 * The client side of a TLS handshake that did not finish within `handshakeTimeout` ms:
 * `@net/tcp-server`'s {@link HandshakeTimeoutError} (`ERR_HANDSHAKE_TIMEOUT`, the same
 * class and code as the server side), with a message about connecting rather than about
 * an accepted connection.
 */
export function clientHandshakeTimeout(
  timeout: number,
  target = 'the server',
  cause?: unknown,
): HandshakeTimeoutError {
  const error = new HandshakeTimeoutError(timeout, 'its TLS handshake');
  error.message =
    `The TCP connection and TLS handshake with ${target} did not finish within ${timeout} ms ` +
    '(handshakeTimeout); the server is slow, overloaded or does not speak TLS on this port. ' +
    'Raise handshakeTimeout if the network is this slow';
  if (cause !== undefined) error.cause = cause;
  return error;
}

/** The server requires a client certificate (mutual TLS) and the client sent none. */
export class ClientCertificateRequiredError extends TlsError {
  constructor(info: WrapInfo) {
    super(
      'ERR_TLS_CLIENT_CERT_REQUIRED',
      'The server requires a client certificate (mutual TLS) and none was sent; pass `cert` and ' +
        "`key` of a certificate signed by the server's clientCa (generateDevCertificates({ client: true }))",
      info,
    );
  }
}

/** The server refused the client's certificate (unknown CA, expired, wrong usage). */
export class ClientCertificateRejectedError extends TlsError {
  constructor(info: WrapInfo) {
    super(
      'ERR_TLS_CLIENT_CERT_REJECTED',
      `The client's certificate was refused (${info.opensslCode}); use a certificate signed by ` +
        "a CA in the server's clientCa, valid now and issued for client authentication",
      info,
    );
  }
}

/**
 * Server side: the client refused this server's certificate (it sent an alert such as
 * `unknown CA` or `bad certificate`).
 */
export class ServerCertificateRejectedError extends TlsError {
  constructor(info: WrapInfo) {
    super(
      'ERR_TLS_SERVER_CERT_REJECTED',
      `The client refused this server's certificate (${info.opensslCode}); give clients the CA ` +
        'certificate that signed it (`ca`), and check that it covers the name they connect to and is not expired',
      info,
    );
  }
}

/** The server's certificate verified, but matches none of the client's `pin` values. */
export class PinMismatchError extends TlsError {
  /** SHA-256 fingerprint of the certificate the server presented (hex, colon-separated). */
  readonly fingerprint256: string;
  /** SHA-256 of its public key, as `sha256//<base64>`. */
  readonly spki256: string;

  constructor(fingerprint256: string, spki256: string, pinCount: number) {
    super(
      'ERR_TLS_PIN_MISMATCH',
      `The server's certificate matches none of the ${pinCount} pinned fingerprint(s); it ` +
        `has certificate fingerprint ${fingerprint256} and public key ${spki256}. If the server ` +
        'rotated its key on purpose, update `pin`; otherwise someone may be intercepting the connection',
    );
    this.fingerprint256 = fingerprint256;
    this.spki256 = spki256;
  }
}

/** The handshake failed for another reason (no shared protocol version or cipher, garbage). */
export class HandshakeError extends TlsError {
  constructor(detail: string, info: WrapInfo) {
    super(
      'ERR_TLS_HANDSHAKE_FAILED',
      `The TLS handshake failed: ${detail}; check that the peer speaks TLS 1.2 or newer on this ` +
        'port and shares a protocol version, cipher and ALPN protocol with this side',
      info,
    );
  }
}

/** The TCP connection could not be made (refused, unreachable, DNS failure). */
export class ConnectError extends TlsError {
  constructor(target: string, info: WrapInfo) {
    const detail = info.cause instanceof Error ? info.cause.message : String(info.cause);
    super(
      'ERR_TLS_CONNECT',
      `Could not connect to ${target}: ${detail}; check that the server is running and the ` +
        'host and port are right',
      info,
    );
  }
}

/**
 * `connectTls` / `wrapSocket` was cancelled through its `signal`: `@net/core`'s
 * {@link AbortedError} (`ERR_ABORTED`), with the signal's reason as `cause`.
 */
export class ConnectAbortedError extends AbortedError {
  constructor(reason: unknown) {
    super('The TLS connection attempt was aborted by its signal', reason);
  }
}

/** A certificate or key given to the server could not be loaded (bad PEM, key mismatch). */
export class CertificateLoadError extends TlsError {
  constructor(what: string, info: WrapInfo) {
    const detail = info.cause instanceof Error ? info.cause.message : String(info.cause);
    super(
      'ERR_TLS_BAD_CERTIFICATE',
      `Could not load ${what}: ${detail}; pass PEM strings (or Buffers) of a certificate and ` +
        'the private key that belongs to it',
      info,
    );
  }
}

/** Development certificates could not be generated, read or written. */
export class DevCertificateError extends TlsError {
  constructor(message: string, cause?: unknown) {
    super('ERR_TLS_DEV_CERTS', message, cause === undefined ? {} : { cause });
  }
}
