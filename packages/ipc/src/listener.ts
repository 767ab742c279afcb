/** `listen()`: Python's `multiprocessing.connection.Listener`. */
import { createServer, type Server, type Socket } from 'node:net';
import type { NetError } from '@net/stream-reader';
import { Connection } from './connection.js';
import { ListenError, ListenerClosedError } from './errors.js';
import { authenticateAccepted, type HandshakeSettings } from './handshake.js';
import { type Endpoint, type EndpointOptions, IPC_DEFAULTS, resolveEndpoint } from './options.js';

/** Options of {@link listen}. */
export interface ListenOptions extends EndpointOptions {
  /** The challenge we deliver: `'modern'` (Python 3.12+'s `{sha256}` form, default) or `'legacy'`. */
  protocol?: HandshakeSettings['protocol'];
  /** Digest of a modern challenge. */
  digest?: HandshakeSettings['digest'];
  /** Kernel backlog of TCP connections not yet taken in. */
  backlog?: number;
  /**
   * Called with the typed error (`ERR_AUTH_*`) of each peer that failed to authenticate, and
   * its address; that peer is disconnected and the listener goes on. A throw is ignored.
   */
  onAuthFailure?: (error: NetError, remote: { address?: string; port?: number }) => void;
}

/** Where a listener listens: TCP address or Unix socket path. */
export type ListenerAddress = { address: string; family: string; port: number } | { path: string };

/** Counters of a {@link Listener}. */
export interface ListenerStats {
  /** Connections that authenticated (or needed no authentication). */
  accepted: number;
  /** Peers that failed the handshake (wrong key, timeout, garbage, early close). */
  authFailures: number;
  /** Handshakes in progress now. */
  handshaking: number;
  /** Authenticated connections waiting for `accept()`. */
  queued: number;
}

/**
 * Accepts connections and hands out authenticated {@link Connection}s through `accept()`
 * or `for await (const conn of listener)` (which ends when the listener closes).
 */
export class Listener implements AsyncIterable<Connection> {
  readonly #server: Server;
  readonly #endpoint: Endpoint;
  readonly #options: ListenOptions;
  readonly #queue: Connection[] = [];
  readonly #waiters: { resolve: (conn: Connection) => void; reject: (error: unknown) => void }[] =
    [];
  readonly #handshaking = new Set<Socket>();
  #closing: Promise<void> | undefined;
  #accepted = 0;
  #authFailures = 0;

  /** @internal use {@link listen}. */
  constructor(server: Server, endpoint: Endpoint, options: ListenOptions) {
    this.#server = server;
    this.#endpoint = endpoint;
    this.#options = options;
    server.on('connection', (socket) => this.#onSocket(socket));
  }

  /** The bound address (read `port` after `port: 0`) or `{ path }`. */
  get address(): ListenerAddress {
    if (this.#endpoint.path !== undefined) return { path: this.#endpoint.path };
    return this.#server.address() as { address: string; family: string; port: number };
  }

  /** `true` after `close()`. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Current counters. */
  stats(): ListenerStats {
    return {
      accepted: this.#accepted,
      authFailures: this.#authFailures,
      handshaking: this.#handshaking.size,
      queued: this.#queue.length,
    };
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
      const waiter = {
        resolve: (conn: Connection) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(conn);
        },
        reject: (error: unknown) => {
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
   * `ERR_LISTENER_CLOSED`, and closes handshakes in progress and connections nobody
   * accepted. Connections already accepted stay open. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    // Like Python's Listener.close(): only the listening socket closes. (The server's 'close'
    // event would wait for every accepted connection, which belongs to its user.)
    this.#server.close();
    const closed = new Promise<void>((resolve) => setImmediate(resolve));
    for (const socket of this.#handshaking) socket.destroy();
    for (const conn of this.#queue.splice(0)) conn.destroy();
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new ListenerClosedError());
    this.#closing = closed;
    return closed;
  }

  async #onSocket(socket: Socket): Promise<void> {
    socket.on('error', () => undefined);
    // Small messages must not wait for ACKs (Nagle); the server option alone does not
    // reach accepted sockets on every Node version.
    if (this.#endpoint.tcp) socket.setNoDelay(true);
    if (this.closed) {
      socket.destroy();
      return;
    }
    const options = this.#options;
    const conn = new Connection(socket, options);
    const authkey = this.#endpoint.authkey;
    if (authkey !== undefined) {
      this.#handshaking.add(socket);
      try {
        await authenticateAccepted(conn, authkey, {
          timeout: options.handshakeTimeout ?? IPC_DEFAULTS.handshakeTimeout,
          protocol: options.protocol,
          digest: options.digest,
          acceptDigests: options.acceptDigests,
        });
      } catch (error) {
        conn.destroy();
        if (this.closed) return; // cut short by close(): not the peer's failure
        this.#authFailures++;
        try {
          options.onAuthFailure?.(error as NetError, {
            address: socket.remoteAddress,
            port: socket.remotePort,
          });
        } catch {
          // a throwing hook must not break the listener
        }
        return;
      } finally {
        this.#handshaking.delete(socket);
      }
    }
    if (this.closed) {
      conn.destroy();
      return;
    }
    this.#accepted++;
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(conn);
    else this.#queue.push(conn);
  }
}

/**
 * Listens on `{ host, port }` or `{ path }` (Python's `Listener(address, authkey=...)`).
 * Each peer authenticates in `Listener.accept()`'s order (we deliver a challenge, then
 * answer the peer's) within `handshakeTimeout`; a peer that fails is disconnected and
 * reported to `onAuthFailure`, and never breaks the listener. Rejects with
 * `ERR_AUTHKEY_REQUIRED` (TCP without `authkey`), `ERR_LISTEN`, or `ERR_INVALID_ARGUMENT`.
 */
export async function listen(options: ListenOptions): Promise<Listener> {
  const endpoint = resolveEndpoint(options);
  const server = createServer({ noDelay: true });
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new ListenError(endpoint.label, error)));
    server.once('listening', () => resolve());
  });
  if (endpoint.path !== undefined) server.listen({ path: endpoint.path });
  else
    server.listen({
      host: endpoint.tcp?.host,
      port: endpoint.tcp?.port,
      backlog: options.backlog ?? IPC_DEFAULTS.backlog,
    });
  await listening;
  server.on('error', () => undefined); // accept failures (EMFILE) do not stop the server
  return new Listener(server, endpoint, options);
}
