/**
 * The worker side of recipe 11.11: receive the sockets the primary passes over the IPC
 * channel and serve them with `@net/tcp-server`.
 */
import type { Socket } from 'node:net';
import {
  type ConnectionHandler,
  createTcpServer,
  type TcpServer,
  type TcpServerOptions,
} from '@net/tcp-server';
import { InvalidArgumentError } from './errors.js';
import { isWorkerMessage, TAG, type WorkerMessage } from './worker-protocol.js';

function post(message: WorkerMessage): void {
  if (process.connected) process.send?.(message, undefined, {}, () => undefined);
}

/**
 * Low-level: calls `onSocket(socket)` for every socket the primary passes to this worker,
 * reports each socket's close back (for the primary's least-busy choice and its stats),
 * and tells the primary this worker is ready. `onShutdown(timeout)` runs when the primary
 * closes gracefully; the channel is disconnected after it settles, so the process can exit.
 * Throws `ERR_INVALID_ARGUMENT` outside a process started by `spawnWorkers()`.
 */
export function onSocket(
  handler: (socket: Socket) => void,
  onShutdown: (timeout: number) => Promise<void> | void = () => undefined,
): void {
  if (typeof process.send !== 'function') {
    throw new InvalidArgumentError(
      'onSocket()/serveWorker() must run in a worker process started by spawnWorkers()',
    );
  }
  process.on('message', (message: unknown, handle: unknown) => {
    if (!isWorkerMessage(message)) return;
    if (message[TAG] === 'socket' && handle) {
      const socket = handle as Socket;
      const { id } = message;
      socket.on('error', () => undefined);
      socket.once('close', () => post({ [TAG]: 'done', id }));
      handler(socket);
    } else if (message[TAG] === 'shutdown') {
      Promise.resolve()
        .then(() => onShutdown(message.timeout))
        .catch(() => undefined)
        .finally(() => {
          if (process.connected) process.disconnect();
        });
    }
  });
  post({ [TAG]: 'ready' });
}

let workerData: Promise<unknown> | undefined;

/**
 * The pool's `workerData` (see `spawnWorkers`), asked for over the IPC channel: the way
 * to hand a worker its secrets without argv or the environment. Resolves with `null` when
 * the pool has none; the same promise on every call. Call it before `serveWorker()` /
 * `onSocket()`: the primary gives a worker `startTimeout` ms to become ready. Throws
 * `ERR_INVALID_ARGUMENT` outside a process started by `spawnWorkers()`.
 */
export function getWorkerData(): Promise<unknown> {
  if (typeof process.send !== 'function') {
    throw new InvalidArgumentError(
      'getWorkerData() must run in a worker process started by spawnWorkers()',
    );
  }
  workerData ??= new Promise((resolve) => {
    const onMessage = (message: unknown): void => {
      if (!isWorkerMessage(message) || message[TAG] !== 'data') return;
      process.off('message', onMessage);
      resolve(message.data);
    };
    process.on('message', onMessage);
    post({ [TAG]: 'data?' });
  });
  return workerData;
}

/**
 * Serves the sockets passed to this worker with a `@net/tcp-server` server built from
 * `handler` and `options` (`createTcpServer(handler, options).handleConnection(socket)`),
 * and closes it gracefully when the primary shuts down. Returns the server (for `stats()`).
 */
export function serveWorker(handler: ConnectionHandler, options?: TcpServerOptions): TcpServer {
  const server = createTcpServer(handler, options);
  onSocket(
    (socket) => server.handleConnection(socket),
    (timeout) => server.close({ timeout }),
  );
  return server;
}
