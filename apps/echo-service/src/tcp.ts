/**
 * tcp endpoint: recipe 11.9's HMAC challenge (`@net/hmac-auth`) on `@net/tcp-server`, then
 * every byte is echoed. With `workers > 0` the primary accepts and `@net/ipc` passes each
 * socket to a worker process running the same handler (see tcp-worker.ts).
 */
import { serverAuthenticate } from '@net/hmac-auth';
import { type Connection, createTcpServer, type TcpServer } from '@net/tcp-server';
import { createCounters, type EndpointCounters } from './stats.js';

/** What the tcp handler needs. */
export interface TcpHandlerOptions {
  key: Uint8Array;
  authTimeout: number;
  counters: EndpointCounters;
}

/** The per-connection handler: authenticate, then echo until EOF or shutdown. */
export function createTcpHandler(options: TcpHandlerOptions): (conn: Connection) => Promise<void> {
  const { key, authTimeout, counters } = options;
  return async (conn) => {
    counters.accepted++;
    counters.active++;
    try {
      const ok = await serverAuthenticate(conn, key, {
        timeout: authTimeout,
        signal: conn.signal,
      }).catch(() => false);
      if (!ok) {
        counters.failed++;
        counters.authFailures++;
        conn.destroy();
        return;
      }
      for (;;) {
        const chunk = await conn.read({ signal: conn.signal });
        if (chunk === null) return;
        counters.bytesIn += chunk.byteLength;
        await conn.write(chunk);
        counters.bytesOut += chunk.byteLength;
        counters.messages++;
      }
    } catch (error) {
      if (!conn.signal.aborted) counters.failed++;
      throw error;
    } finally {
      counters.active--;
    }
  };
}

/** Options of {@link startTcp}. */
export interface StartTcpOptions extends TcpHandlerOptions {
  host: string;
  port: number;
  idleTimeout: number;
  maxConnections: number;
  closeTimeout: number;
  /** Returns true to refuse a new connection (load shedding). */
  shed: () => boolean;
  log: (message: string) => void;
}

/** The tcp endpoint in this process. */
export interface TcpEndpoint {
  port: number;
  server: TcpServer;
  counters: EndpointCounters;
  close(): Promise<void>;
}

/** Starts the tcp endpoint in this process. */
export async function startTcp(options: Omit<StartTcpOptions, 'counters'>): Promise<TcpEndpoint> {
  const counters = createCounters();
  const server = createTcpServer(createTcpHandler({ ...options, counters }), {
    idleTimeout: options.idleTimeout,
    maxConnections: options.maxConnections,
    closeTimeout: options.closeTimeout,
    verify: () => {
      if (!options.shed()) return true;
      counters.refused++;
      return false;
    },
    onError: (error, _conn, source) => options.log(`tcp ${source} error: ${describe(error)}`),
  });
  const address = await server.listen({ host: options.host, port: options.port });
  return {
    port: (address as { port: number }).port,
    server,
    counters,
    close: () => server.close({ timeout: options.closeTimeout }),
  };
}

/** `code: message` of an error, for one log line. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
