/**
 * ipc endpoint: `@net/ipc`, Python's `multiprocessing.connection` protocol with the secret
 * as authkey (recipe 11.7); every message is sent back unchanged.
 */
import { type Connection, type Listener, listen } from '@net/ipc';
import { createCounters, type EndpointCounters } from './stats.js';
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
  listener: Listener;
  counters: EndpointCounters;
  close(): Promise<void>;
}

/** Starts the ipc echo endpoint. */
export async function startIpc(options: StartIpcOptions): Promise<IpcEndpoint> {
  const counters = createCounters();
  const connections = new Set<Connection>();
  const listener = await listen({
    host: options.host,
    port: options.port,
    authkey: options.key,
    maxMessageSize: options.maxMessageSize,
    handshakeTimeout: options.handshakeTimeout,
    timeout: options.idleTimeout,
    onAuthFailure: (error) => {
      counters.failed++;
      counters.authFailures++;
      options.log(`ipc handshake: ${describe(error)}`);
    },
  });

  const serve = async (conn: Connection): Promise<void> => {
    try {
      for (;;) {
        const message = await conn.recvBytes();
        counters.bytesIn += message.byteLength;
        await conn.sendBytes(message);
        counters.bytesOut += message.byteLength;
        counters.messages++;
      }
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ERR_CONNECTION_CLOSED') {
        counters.failed++;
        options.log(`ipc: ${describe(error)}`);
      }
    } finally {
      connections.delete(conn);
      counters.active--;
      conn.destroy();
    }
  };

  const accepting = (async () => {
    for await (const conn of listener) {
      counters.accepted++;
      if (connections.size >= options.maxConnections) {
        counters.refused++;
        conn.destroy();
        continue;
      }
      connections.add(conn);
      counters.active++;
      void serve(conn);
    }
  })().catch((error: unknown) => options.log(`ipc accept: ${describe(error)}`));

  return {
    port: (listener.address as { port: number }).port,
    listener,
    counters,
    close: async () => {
      await listener.close();
      await accepting;
      for (const conn of connections) conn.close();
      const deadline = Date.now() + options.closeTimeout;
      while (connections.size > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      for (const conn of connections) conn.destroy();
    },
  };
}
