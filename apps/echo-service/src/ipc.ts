/**
 * ipc endpoint: `@net/ipc`'s `createIpcServer`, Python's `multiprocessing.connection`
 * protocol with the secret as authkey (recipe 11.7); every message is sent back
 * unchanged. The package counts connections from accept, bounds the authentication by
 * `--handshake-timeout` and closes peers idle (or not reading) past `--idle-timeout`.
 */
import { type Connection, createIpcServer, type IpcServer } from '@net/ipc';
import type { EchoCount } from './echo.js';
import { type EndpointCounters, lifecycleCounters } from './stats.js';
import { describe } from './tcp.js';

/** Options of {@link startIpc}. */
export interface StartIpcOptions {
  host: string;
  port: number;
  key: Uint8Array;
  maxMessageSize: number;
  handshakeTimeout: number;
  idleTimeout: number;
  maxConnections: number;
  closeTimeout: number;
  log: (message: string) => void;
}

/** The running ipc endpoint. */
export interface IpcEndpoint {
  port: number;
  server: IpcServer;
  /** The endpoint's /stats figures, from the server's `stats()`. */
  counters(): EndpointCounters;
  close(): Promise<void>;
}

/** Starts the ipc echo endpoint. */
export async function startIpc(options: StartIpcOptions): Promise<IpcEndpoint> {
  const count: EchoCount = { messages: 0 };
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
    maxMessageSize: options.maxMessageSize,
    handshakeTimeout: options.handshakeTimeout,
    idleTimeout: options.idleTimeout,
    maxConnections: options.maxConnections,
    closeTimeout: options.closeTimeout,
    onError: (error, context) => options.log(`ipc ${context.phase}: ${describe(error)}`),
  });
  const address = await server.listen();
  return {
    port: (address as { port: number }).port,
    server,
    counters: () => lifecycleCounters(server.stats(), count.messages, true),
    close: () => server.close({ timeout: options.closeTimeout }),
  };
}
