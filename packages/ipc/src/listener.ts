/**
 * `listen()`: Python's `multiprocessing.connection.Listener`, a thin layer over
 * {@link createIpcServer}: each authenticated connection is handed to `accept()` and stays
 * under the server's lifecycle (maxConnections, idleTimeout, close) until it closes.
 */
import { checkMs } from '@net/core';
import type { Connection } from './connection.js';
import { ListenerClosedError } from './errors.js';
import {
  createIpcServer,
  type IpcAddress,
  type IpcServer,
  type IpcServerOptions,
  type IpcServerStats,
} from './server.js';

/** Options of {@link listen}: those of {@link createIpcServer}. */
export type ListenOptions = IpcServerOptions;

/** Where a listener listens: TCP address or Unix socket path. */
export type ListenerAddress = IpcAddress;

/** Counters of a {@link Listener}: the server's, plus the connections waiting for `accept()`. */
export interface ListenerStats extends IpcServerStats {
  /** Authenticated connections waiting for `accept()` (they count against `maxConnections`). */
  queued: number;
}

const kStart = Symbol('start');

interface Waiter {
  resolve: (conn: Connection) => void;
  reject: (error: unknown) => void;
}

/**
 * Accepts connections and hands out authenticated {@link Connection}s through `accept()`
 * or `for await (const conn of listener)` (which ends when the listener closes).
 */
export class Listener implements AsyncIterable<Connection> {
  readonly #server: IpcServer;
  readonly #queue: Connection[] = [];
  readonly #waiters: Waiter[] = [];
  #address: ListenerAddress | undefined;
  #closing: Promise<void> | undefined;

  /** @internal use {@link listen}. */
  constructor(options: ListenOptions) {
    this.#server = createIpcServer((conn) => this.#hold(conn), options);
  }

  /** @internal binds the server; {@link listen} calls it. */
  async [kStart](): Promise<void> {
    this.#address = await this.#server.listen();
  }

  /** The bound address (read `port` after `port: 0`) or `{ path }`. */
  get address(): ListenerAddress {
    return this.#address as ListenerAddress;
  }

  /** `true` after `close()`. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Current counters. */
  stats(): ListenerStats {
    return { ...this.#server.stats(), queued: this.#queue.length };
  }

  /**
   * Resolves with the next authenticated connection (Python's `Listener.accept()`). Rejects
   * with `ERR_LISTENER_CLOSED` when the listener is (or gets) closed, or with the reason of
   * `signal` when it is aborted.
   */
  accept(options: { signal?: AbortSignal } = {}): Promise<Connection> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(new ListenerClosedError());
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (conn) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(conn);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Yields authenticated connections until the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<Connection> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof ListenerClosedError) return;
        throw error;
      }
    }
  }

  /**
   * Stops listening (a Unix socket file is removed), fails pending `accept()` calls with
   * `ERR_LISTENER_CLOSED`, and at once closes handshakes in progress and connections
   * nobody accepted. Connections already accepted get `timeout` ms (default
   * `closeTimeout`, 5 s) to be closed by their owner, then are destroyed (their calls
   * reject with `ERR_CONNECTION_CLOSED`, `cause` `ERR_SERVER_CLOSING`); `timeout: 0` cuts
   * them at once. Resolves when every connection is gone. Calling it again returns the
   * same promise.
   */
  close(options: { timeout?: number | undefined } = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    if (options.timeout !== undefined) {
      try {
        checkMs('timeout', options.timeout);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.#closing = this.#server.close(options);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new ListenerClosedError());
    for (const conn of this.#queue.splice(0)) conn.destroy();
    return this.#closing;
  }

  /**
   * The server's handler: queue the connection for `accept()`, and stay pending (so the
   * lifecycle keeps counting and timing it) until it closes.
   */
  #hold(conn: Connection): Promise<void> {
    return new Promise((resolve) => {
      const socket = conn.socket;
      if (socket.closed) {
        resolve();
        return;
      }
      socket.once('close', () => {
        const index = this.#queue.indexOf(conn);
        if (index >= 0) this.#queue.splice(index, 1);
        resolve();
      });
      if (this.closed) {
        conn.destroy();
        return;
      }
      const waiter = this.#waiters.shift();
      if (waiter) waiter.resolve(conn);
      else this.#queue.push(conn);
    });
  }
}

/**
 * Listens on `{ host, port }` or `{ path }` (Python's `Listener(address, authkey=...)`).
 * Each peer authenticates in `Listener.accept()`'s order (we deliver a challenge, then
 * answer the peer's) within `handshakeTimeout` of being accepted; a peer that fails is
 * disconnected and reported to `onAuthFailure` (and `onError`, phase `'handshake'`), and
 * never breaks the listener. Every connection, accepted or waiting for `accept()`, stays
 * under the server's `maxConnections` and `idleTimeout`. Rejects with
 * `ERR_AUTHKEY_REQUIRED` (TCP without `authkey`), `ERR_LISTEN`, or `ERR_INVALID_ARGUMENT`.
 */
export async function listen(options: ListenOptions): Promise<Listener> {
  const listener = new Listener(options);
  await listener[kStart]();
  return listener;
}
