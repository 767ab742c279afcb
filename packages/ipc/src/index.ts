/**
 * `@net/ipc`: Python's `multiprocessing.connection` for Node (recipe 11.7 of the Python
 * Cookbook): a `Listener` and a `Client` that authenticate with a shared `authkey` and
 * exchange whole messages, wire compatible with Python on TCP and Unix sockets; and
 * recipe 11.11, passing accepted sockets from a primary to worker processes. Servers
 * (`createIpcServer`, and `listen` on top of it) run on `@net/tcp-server`'s connection
 * lifecycle: `maxConnections` counted from accept, the handshake deadline, `idleTimeout`
 * both ways, graceful `close({ timeout })`, the same `stats()` and `onError`. `send` /
 * `recv` speak V8 serialization between Node peers, or with `codec: 'pickle'` the pickles of
 * Python's `conn.send(obj)` / `conn.recv()` (data only: opcodes that import or call are
 * refused, see `decodePickle`).
 *
 * @example
 * ```ts
 * import { connect, createIpcServer, listen } from '@net/ipc';
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
 *
 * // The same as a handler per connection, with the lifecycle's limits:
 * const server = createIpcServer(
 *   async (conn) => {
 *     for (;;) await conn.sendBytes(await conn.recvBytes()); // until the peer closes
 *   },
 *   { host: '127.0.0.1', port: 0, authkey, maxConnections: 100, idleTimeout: 60_000 },
 * );
 * await server.listen();
 * console.log(server.stats());
 * await server.close({ timeout: 5_000 });
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
  PickleLimitError,
  PickleUnsafeError,
  SendTimeoutError,
  SerializeError,
  TimeoutError,
  WorkerStartError,
} from './errors.js';
export {
  Listener,
  type ListenerAddress,
  type ListenerStats,
  type ListenOptions,
  listen,
} from './listener.js';
export {
  type ConnectionOptions,
  type EndpointOptions,
  IPC_DEFAULTS,
} from './options.js';
export { decodePickle } from './pickle/decode.js';
export { encodePickle } from './pickle/encode.js';
export {
  asTuple,
  isTuple,
  PICKLE_DEFAULTS,
  type PickleOptions,
  tuple,
} from './pickle/values.js';
export {
  createIpcServer,
  IPC_SERVER_DEFAULTS,
  type IpcAddress,
  type IpcContext,
  type IpcHandler,
  IpcServer,
  type IpcServerOptions,
  type IpcServerStats,
} from './server.js';
export { getWorkerData, onSocket, serveWorker } from './worker.js';
export {
  type SpawnWorkersOptions,
  spawnWorkers,
  WORKERS_DEFAULTS,
  type WorkerExit,
  WorkerPool,
  type WorkerPoolStats,
  type WorkerStats,
} from './workers.js';
