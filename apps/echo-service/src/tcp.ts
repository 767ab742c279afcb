/**
 * tcp endpoint: recipe 11.9's HMAC challenge (`@net/hmac-auth`) on `@net/tcp-server`, then
 * every byte is echoed. With `workers > 0` the primary accepts and `@net/ipc` passes each
 * socket to a worker process running the same handler (see tcp-worker.ts).
 */
import { serverAuthenticate } from '@net/hmac-auth';
import {
  type Connection,
  createTcpServer,
  type ErrorContext,
  type TcpServer,
  type TcpServerOptions,
} from '@net/tcp-server';
import { type EchoCount, echoStream } from './echo.js';
import type { Logger } from './log.js';

/** What the tcp handler needs. */
export interface TcpHandlerOptions {
  key: Uint8Array;
  count: EchoCount;
}

/**
 * The per-connection handler: the HMAC challenge (the connection's first phase, bounded
 * by the server's `handshakeTimeout`), then the echo. A client that fails the challenge
 * makes the handler reject before `markEstablished()`: the server counts it in
 * `handshakeFailures` and closes only that connection.
 */
export function createTcpHandler(options: TcpHandlerOptions): (conn: Connection) => Promise<void> {
  const { key, count } = options;
  return async (conn) => {
    let failure: unknown;
    const ok = await serverAuthenticate(conn, key, {
      timeout: 0, // the server's handshakeTimeout bounds the handshake
      signal: conn.signal,
      onFailure: (error) => {
        failure = error;
      },
    });
    if (!ok) throw failure;
    conn.markEstablished();
    await echoStream(conn, count);
  };
}

/** Options of {@link startTcp}. */
export interface StartTcpOptions {
  host: string;
  port: number;
  key: Uint8Array;
  /** ms a client has to answer the HMAC challenge (the first phase). */
  authTimeout: number;
  idleTimeout: number;
  maxConnections: number;
  closeTimeout: number;
  /** Returns true to refuse a new connection (load shedding). */
  shed: () => boolean;
  logger: Logger;
}

/** The tcp endpoint in this process. */
export interface TcpEndpoint {
  port: number;
  server: TcpServer;
  count: EchoCount;
  close(): Promise<void>;
}

/** The tcp server's options, the same in this process and in `--workers` workers. */
export function tcpServerOptions(options: {
  authTimeout: number;
  idleTimeout: number;
  maxConnections: number;
  closeTimeout?: number;
  logger: Logger;
}): TcpServerOptions {
  return {
    handshakeTimeout: options.authTimeout,
    idleTimeout: options.idleTimeout,
    maxConnections: options.maxConnections,
    closeTimeout: options.closeTimeout,
    onError: failureLogger(options.logger, 'tcp'),
  };
}

/** Starts the tcp endpoint in this process. */
export async function startTcp(options: StartTcpOptions): Promise<TcpEndpoint> {
  const count: EchoCount = { messages: 0 };
  const server = createTcpServer(createTcpHandler({ key: options.key, count }), {
    ...tcpServerOptions(options),
    // Load shedding refuses before anything is read; counted in stats().refused.
    verify: () => !options.shed(),
  });
  const address = await server.listen({ host: options.host, port: options.port });
  return {
    port: (address as { port: number }).port,
    server,
    count,
    close: () => server.close({ timeout: options.closeTimeout }),
  };
}

/**
 * An `onError` hook of the `@net` servers: every failure goes to the logger's summarised
 * `failure()`, so a flood of bad peers costs a line per kind per window, not one each.
 */
export function failureLogger(
  logger: Logger,
  endpoint: string,
): (
  error: unknown,
  context: Pick<ErrorContext, 'remoteAddress' | 'remotePort'> & { phase: string },
) => void {
  return (error, context) =>
    logger.failure(endpoint, `${context.phase}_failed`, error, {
      remoteAddress: context.remoteAddress,
      remotePort: context.remotePort,
    });
}

/** `code: message` of an error, for one log line. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
