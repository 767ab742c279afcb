/**
 * tls endpoint: `@net/tls` with dev certificates generated into `<state-dir>/certs` (a local
 * CA, a server certificate for localhost/127.0.0.1/::1 and a client certificate), or the
 * certificate given with `--cert`/`--key`; echo.
 * With `clientCa`, clients must present a certificate signed by it.
 */
import type { TLSSocket } from 'node:tls';
import { createTlsServer, type TlsServer } from '@net/tls';
import { createCounters, type EndpointCounters } from './stats.js';
import { describe } from './tcp.js';

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
  log: (message: string) => void;
}

/** The running tls endpoint. */
export interface TlsEndpoint {
  port: number;
  server: TlsServer;
  counters: EndpointCounters;
  close(): Promise<void>;
}

/** Starts the tls echo endpoint. */
export async function startTls(options: StartTlsOptions): Promise<TlsEndpoint> {
  const counters = createCounters();
  const server = createTlsServer(
    {
      cert: options.certs.server.cert,
      key: options.certs.server.key,
      ...(options.clientCa === undefined ? {} : { clientCa: options.clientCa }),
      handshakeTimeout: options.handshakeTimeout,
      closeTimeout: options.closeTimeout,
      onError: (error) => {
        counters.failed++;
        options.log(`tls: ${describe(error)}`);
      },
    },
    (socket: TLSSocket) => {
      counters.accepted++;
      if (counters.active >= options.maxConnections) {
        counters.refused++;
        socket.destroy();
        return;
      }
      counters.active++;
      socket.setTimeout(options.idleTimeout, () => socket.destroy());
      socket.on('data', (chunk: Buffer) => {
        counters.bytesIn += chunk.length;
        counters.bytesOut += chunk.length;
        counters.messages++;
        if (!socket.write(chunk)) socket.pause();
      });
      socket.on('drain', () => socket.resume());
      socket.on('end', () => socket.end());
      socket.on('close', () => counters.active--);
    },
  );
  const address = await server.listen({ host: options.host, port: options.port });
  return {
    port: address.port,
    server,
    counters,
    close: () => server.close({ timeout: options.closeTimeout }),
  };
}
