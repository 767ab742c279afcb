/**
 * `@net/tls`: TLS servers and clients with secure defaults, development certificates from
 * a local CA, mutual TLS, pinning and certificate reload. Recipe 11.10 of the Python
 * Cookbook ("Adding SSL to network services") with contexts instead of `ssl.wrap_socket`.
 * The server runs on `@net/tcp-server`'s connection lifecycle: the handshake is the first
 * phase (counted against `maxConnections` from accept, bounded by `handshakeTimeout`), and
 * the handler gets the same `Connection` as every `@net` server.
 *
 * @example
 * ```ts
 * import { connectTls, createTlsServer, generateDevCertificates } from '@net/tls';
 *
 * const certs = await generateDevCertificates({ dir: '.certs', hosts: ['localhost', '127.0.0.1', '::1'], client: true });
 * const server = createTlsServer(
 *   async (conn, peer) => {
 *     console.log('client', peer?.subject, peer?.fingerprint256); // verified by the handshake
 *     for await (const chunk of conn) await conn.write(chunk); // echo until the client ends
 *   },
 *   { cert: certs.server.cert, key: certs.server.key, clientCa: certs.caCert, maxConnections: 1_000 },
 * );
 * const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
 * const sock = await connectTls({
 *   host: '127.0.0.1', port, servername: 'localhost', ca: certs.caCert,
 *   cert: certs.client?.cert, key: certs.client?.key,
 * });
 * sock.end('Hello World');
 * for await (const chunk of sock) console.log(String(chunk)); // Hello World
 * await server.close();
 * ```
 *
 * @packageDocumentation
 */
export {
  type ConnectTlsOptions,
  connectTls,
  type TlsClientOptions,
  type WrapSocketOptions,
  wrapSocket,
} from './client.js';
export {
  type CertificatePair,
  DEV_CERTIFICATE_DEFAULTS,
  type DevCertificateOptions,
  type DevCertificates,
  generateDevCertificates,
} from './dev-certificates.js';
export { type ToTlsErrorContext, toTlsError } from './error-mapping.js';
export {
  AbortedError,
  CertificateExpiredError,
  CertificateLoadError,
  CertificateVerificationError,
  ClientCertificateRejectedError,
  ClientCertificateRequiredError,
  ConnectAbortedError,
  ConnectError,
  DevCertificateError,
  HandshakeError,
  HandshakeTimeoutError,
  HostnameMismatchError,
  InvalidArgumentError,
  ListenError,
  NetError,
  PinMismatchError,
  ServerCertificateRejectedError,
  ServerStateError,
  TlsError,
  UntrustedCertificateError,
} from './errors.js';
export {
  certificateFingerprint,
  type PeerIdentity,
  peerIdentity,
  spkiFingerprint,
} from './identity.js';
export { CLIENT_DEFAULTS, SERVER_DEFAULTS, type TlsVersion } from './options.js';
export {
  createTlsServer,
  type ServerCertificate,
  type TlsConnection,
  type TlsConnectionHandler,
  type TlsErrorContext,
  type TlsErrorPhase,
  type TlsListenOptions,
  type TlsServer,
  type TlsServerOptions,
  type TlsServerStats,
} from './server.js';
export { defaultSessionCache, TlsSessionCache } from './session-cache.js';
