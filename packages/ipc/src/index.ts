/**
 * `@net/ipc`: Python's `multiprocessing.connection` for Node (recipe 11.7 of the Python
 * Cookbook): a `Listener` and a `Client` that authenticate with a shared `authkey` and
 * exchange whole messages, wire compatible with Python on TCP and Unix sockets; and
 * recipe 11.11, passing accepted sockets from a primary to worker processes.
 *
 * @example
 * ```ts
 * import { connect, listen } from '@net/ipc';
 *
 * const authkey = Buffer.from('peekaboo');
 * const listener = await listen({ host: '127.0.0.1', port: 0, authkey });
 * (async () => {
 *   for await (const conn of listener) {
 *     const msg = await conn.recv();
 *     await conn.send(msg);
 *     conn.close();
 *   }
 * })();
 *
 * const { port } = listener.address as { port: number };
 * const conn = await connect({ host: '127.0.0.1', port, authkey });
 * await conn.send({ any: ['structured', 'clone', new Map([[1, 2]])] });
 * console.log(await conn.recv());
 * conn.close();
 * await listener.close();
 * ```
 *
 * @packageDocumentation
 */
export { type ConnectOptions, connect } from './client.js';
export { Connection, type RecvOptions } from './connection.js';
export {
  AuthkeyRequiredError,
  ConnectError,
  ConnectionClosedError,
  DeserializeError,
  InvalidArgumentError,
  ListenError,
  ListenerClosedError,
  MessageTooLargeError,
  NetError,
  SerializeError,
  WorkerStartError,
} from './errors.js';
export {
  Listener,
  type ListenerAddress,
  type ListenerStats,
  type ListenOptions,
  listen,
} from './listener.js';
export { type ConnectionOptions, type EndpointOptions, IPC_DEFAULTS } from './options.js';
export { onSocket, serveWorker } from './worker.js';
export {
  type SpawnWorkersOptions,
  spawnWorkers,
  WORKERS_DEFAULTS,
  type WorkerExit,
  WorkerPool,
  type WorkerPoolStats,
  type WorkerStats,
} from './workers.js';
