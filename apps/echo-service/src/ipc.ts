/**
 * ipc endpoint: `@net/ipc`'s `createIpcServer`, Python's `multiprocessing.connection`
 * protocol with the secret as authkey (recipe 11.7); every message is sent back
 * unchanged. The package counts connections from accept, bounds the authentication by
 * `--handshake-timeout` and closes peers idle (or not reading) past `--idle-timeout`.
 * `--ipc-digests` lists the HMAC digests accepted from peers: Python ≤ 3.11 clients answer
 * with legacy HMAC-MD5, so dropping `md5` refuses them (multiprocessing's `#FAILURE#`,
 * which Python raises as `AuthenticationError: digest sent was rejected`).
 */
import type { MultiprocessingDigest } from '@net/hmac-auth';
import { type Connection, createIpcServer, type IpcServer } from '@net/ipc';
import type { EchoCount } from './echo.js';
import type { Logger } from './log.js';
import { type EndpointCounters, lifecycleCounters } from './stats.js';
import { failureLogger } from './tcp.js';

/** Options of {@link startIpc}. */
export interface StartIpcOptions {
  host: string;
  port: number;
  key: Uint8Array;
  /** HMAC digests accepted from peers (`--ipc-digests`). */
  digests: readonly MultiprocessingDigest[];
  maxMessageSize: number;
  handshakeTimeout: number;
  idleTimeout: number;
  maxConnections: number;
  closeTimeout: number;
  logger: Logger;
}

/** The running ipc endpoint. */
export interface IpcEndpoint {
  port: number;
  server: IpcServer;
  /** The endpoint's /stats figures, from the server's `stats()`, and the digest refusals. */
  counters(): EndpointCounters & { digestRefusals: number };
  close(): Promise<void>;
}

/** Starts the ipc echo endpoint. */
export async function startIpc(options: StartIpcOptions): Promise<IpcEndpoint> {
  const count: EchoCount = { messages: 0 };
  let digestRefusals = 0;
  const echo = async (conn: Connection): Promise<void> => {
    for (;;) {
      // Ends with ERR_CONNECTION_CLOSED when the peer closes between messages, which the
      // server treats as a normal end.
      await conn.sendBytes(await conn.recvBytes());
      count.messages++;
    }
  };
  const server = createIpcServer(echo, {
    host: options.host,
    port: options.port,
    authkey: options.key,
    acceptDigests: options.digests,
    // A modern challenge asks for a digest the list accepts; with md5 alone, the legacy
    // challenge (which every Python answers with HMAC-MD5).
    ...challengeFor(options.digests),
    onAuthFailure: (error) => {
      if (error.code === 'ERR_AUTH_UNSUPPORTED_DIGEST') digestRefusals++;
    },
    maxMessageSize: options.maxMessageSize,
    handshakeTimeout: options.handshakeTimeout,
    idleTimeout: options.idleTimeout,
    maxConnections: options.maxConnections,
    closeTimeout: options.closeTimeout,
    onError: failureLogger(options.logger, 'ipc'),
  });
  const address = await server.listen();
  return {
    port: (address as { port: number }).port,
    server,
    counters: () => ({
      ...lifecycleCounters(server.stats(), count.messages, true),
      digestRefusals,
    }),
    close: () => server.close({ timeout: options.closeTimeout }),
  };
}

/** The challenge the ipc endpoint sends for a digest list. */
function challengeFor(digests: readonly MultiprocessingDigest[]): {
  protocol: 'modern' | 'legacy';
  digest?: MultiprocessingDigest;
} {
  const modern = digests.find((digest) => digest !== 'md5');
  return modern === undefined ? { protocol: 'legacy' } : { protocol: 'modern', digest: modern };
}
