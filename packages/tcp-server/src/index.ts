/**
 * `@net/tcp-server`: socketserver-style TCP servers (Python Cookbook recipe 11.2), and the
 * one connection lifecycle every `@net` stream server (TLS, ipc, bulk) is built on: limits
 * counted from accept, a first-phase deadline, idle timeouts in both directions, graceful
 * shutdown and the same statistics everywhere.
 *
 * @example
 * ```ts
 * import { createTcpServer } from '@net/tcp-server';
 *
 * // An echo server: every connection gets its own handler call.
 * const server = createTcpServer(async (conn) => {
 *   for await (const chunk of conn) await conn.write(chunk);
 * }, { maxConnections: 10_000, idleTimeout: 30_000 });
 *
 * const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
 * console.log(`echo server on port ${port}`, server.stats());
 * await server.close({ timeout: 5_000 }); // graceful
 * ```
 *
 * @packageDocumentation
 */
export { Connection } from './connection.js';
export type { ConnectionContext } from './context.js';
export {
  ConnectionClosedError,
  HandshakeTimeoutError,
  IdleTimeoutError,
  InvalidArgumentError,
  ListenError,
  NetError,
  ServerClosingError,
  ServerStateError,
} from './errors.js';
export {
  type ErrorContext,
  type ErrorHook,
  type ErrorPhase,
  type RemoteInfo,
  TCP_SERVER_DEFAULTS,
  type TcpServerOptions,
} from './options.js';
export {
  type CloseOptions,
  type ConnectionHandler,
  createSocketServer,
  createTcpServer,
  reportError,
  type SocketHandler,
  type TcpAddress,
  type TcpListenOptions,
  TcpServer,
  type TcpServerStats,
  type UnixAddress,
  type UnixListenOptions,
} from './server.js';
