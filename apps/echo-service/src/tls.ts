/**
 * tls endpoint: `@net/tls` with dev certificates generated into `<state-dir>/certs` (a local
 * CA, a server certificate for localhost/127.0.0.1/::1 and a client certificate), or the
 * certificate given with `--cert`/`--key`; the same echo as tcp. With `clientCa`, clients
 * must present a certificate signed by it. The package counts connections from accept,
 * so clients that never finish their handshake hold at most `--max-connections` sockets,
 * each for at most `--handshake-timeout`.
 */
import { createTlsServer, type TlsServer } from '@net/tls';
import { type EchoCount, echoStream } from './echo.js';
import type { Logger } from './log.js';
import { type EndpointCounters, lifecycleCounters } from './stats.js';
import { failureLogger } from './tcp.js';

/** Options of {@link startTls}. */
export interface StartTlsOptions {
  host: string;
  port: number;
  /** The server certificate (chain) and key, PEM. */
  certs: { server: { cert: string; key: string } };
  /** PEM of the CA client certificates must chain to (mutual TLS), if any. */
  clientCa?: string | undefined;
  handshakeTimeout: number;
  idleTimeout: number;
  maxConnections: number;
  closeTimeout: number;
  logger: Logger;
}

/** The running tls endpoint. */
export interface TlsEndpoint {
  port: number;
  server: TlsServer;
  /** The endpoint's /stats figures, from the server's `stats()`. */
  counters(): EndpointCounters;
  close(): Promise<void>;
}

/** Starts the tls echo endpoint. */
export async function startTls(options: StartTlsOptions): Promise<TlsEndpoint> {
  const count: EchoCount = { messages: 0 };
  const server = createTlsServer((conn) => echoStream(conn, count), {
    cert: options.certs.server.cert,
    key: options.certs.server.key,
    clientCa: options.clientCa,
    handshakeTimeout: options.handshakeTimeout,
    idleTimeout: options.idleTimeout,
    maxConnections: options.maxConnections,
    closeTimeout: options.closeTimeout,
    onError: failureLogger(options.logger, 'tls'),
  });
  const address = await server.listen({ host: options.host, port: options.port });
  return {
    port: address.port,
    server,
    counters: () => lifecycleCounters(server.stats(), count.messages, false),
    close: () => server.close({ timeout: options.closeTimeout }),
  };
}
