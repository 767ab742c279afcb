/**
 * `createBulkServer`: a server that receives and sends `.npy` arrays, on the one
 * connection lifecycle of `@net/tcp-server` (limits counted from accept, a first-phase
 * deadline until the first header, idle timeouts both ways, graceful close), with one
 * memory budget for the arrays of all connections.
 */
import { constants as bufferConstants } from 'node:buffer';
import type { Socket } from 'node:net';
import {
  checkByteSize,
  checkMs,
  checkOptionalFunction,
  InvalidArgumentError,
  withDefaults,
} from '@net/core';
import {
  type CloseOptions,
  type ConnectionContext,
  createSocketServer,
  type ErrorContext,
  type ErrorHook,
  type RemoteInfo,
  reportError,
  TCP_SERVER_DEFAULTS,
  type TcpAddress,
  type TcpListenOptions,
  type TcpServer,
  type TcpServerStats,
  type UnixAddress,
  type UnixListenOptions,
} from '@net/tcp-server';
import {
  BulkConnection,
  type ConnectionShared,
  kCausedByPeer,
  kFinish,
} from './bulk-connection.js';
import { isTransferInterruption } from './errors.js';
import { MemoryBudget } from './memory-budget.js';
import { BULK_TRANSFER_DEFAULTS } from './options.js';

const MiB = 1024 * 1024;

/** Options of {@link createBulkServer}; the defaults are in {@link BULK_SERVER_DEFAULTS}. */
export interface BulkServerOptions {
  /**
   * Bytes of array memory admitted at once, over all connections. An array is counted
   * from its admission (before it is allocated) until it is done (see `BulkArray.retain`).
   */
  memoryBudget?: number | undefined;
  /** Largest single array body, in bytes, checked from the header before anything is allocated. */
  maxBytes?: number | undefined;
  /** Largest `.npy` header dictionary, in bytes. */
  maxHeaderBytes?: number | undefined;
  /**
   * Ms from accept until the client's first array header is complete (the first phase);
   * past it the connection is closed and counted in `stats().timeouts`. 0 = none.
   */
  headerTimeout?: number | undefined;
  /** Ms an announced array may wait for room in the budget before it is refused; 0 = no limit. */
  admissionTimeout?: number | undefined;
  /** Ms from admission until an array's last byte has arrived; 0 = no limit (idleTimeout still applies). */
  bodyTimeout?: number | undefined;
  /** Bytes each connection reads ahead of the array being received (outside the budget). */
  readAhead?: number | undefined;
  /** Most connections open at once, counted from accept; 0 = no limit. Over it a connection is closed at once (`stats().refused`). */
  maxConnections?: number | undefined;
  /** Close a connection after this many ms without progress in either direction; 0 = never. */
  idleTimeout?: number | undefined;
  /** After a handler returns, ms to wait for the client to close its side. */
  endTimeout?: number | undefined;
  /** Default `timeout` of `close()`, in ms. */
  closeTimeout?: number | undefined;
  /** Length of the kernel's queue of connections not yet accepted. */
  backlog?: number | undefined;
  /** Disable Nagle's algorithm. */
  noDelay?: boolean | undefined;
  /** TCP keep-alive probe delay in ms; 0 = off. */
  keepAlive?: number | undefined;
  /** SO_REUSEPORT (Node 22.12+ on Linux). */
  reusePort?: boolean | undefined;
  /** Decides whether to serve a client before its handler runs (see `@net/tcp-server`). */
  verify?: ((remote: RemoteInfo) => boolean | Promise<boolean>) | undefined;
  /**
   * Called with `(error, { phase, remoteAddress, remotePort })` when a handler fails
   * (`'handler'`), `verify` throws, accepting fails, or, only when you pass this hook, when
   * a client fails its first phase (`'handshake'`) or is refused or sends a malformed
   * array later (`'handler'`). Default: one line on stderr for handler, verify and accept
   * errors; clients' failures are only counted.
   */
  onError?: ErrorHook | undefined;
}

/** The defaults of {@link BulkServerOptions}. */
export const BULK_SERVER_DEFAULTS = {
  /** 1 GiB of arrays at once. */
  memoryBudget: 1024 * MiB,
  /** 256 MiB per array (as `recvArray`). */
  maxBytes: BULK_TRANSFER_DEFAULTS.maxBytes,
  /** 10,000 bytes (as `recvArray`, NumPy's own limit). */
  maxHeaderBytes: BULK_TRANSFER_DEFAULTS.maxHeaderBytes,
  /** 10 s from accept to the first complete header. */
  headerTimeout: 10_000,
  /** 30 s waiting for room in the budget. */
  admissionTimeout: 30_000,
  /** No limit per array body; `idleTimeout` still applies. */
  bodyTimeout: 0,
  /** 64 KiB per connection. */
  readAhead: 64 * 1024,
  /** 1024 connections at once, counted from accept (`@net/tcp-server`'s default: no limit). */
  maxConnections: 1024,
  /** 5 minutes, as `@net/tcp-server`. */
  idleTimeout: TCP_SERVER_DEFAULTS.idleTimeout,
  /** 5 s, as `@net/tcp-server`. */
  endTimeout: TCP_SERVER_DEFAULTS.endTimeout,
  /** 5 s, as `@net/tcp-server`. */
  closeTimeout: TCP_SERVER_DEFAULTS.closeTimeout,
  /** 511, Node's default. */
  backlog: TCP_SERVER_DEFAULTS.backlog,
  /** Nagle off, as `@net/tcp-server`. */
  noDelay: TCP_SERVER_DEFAULTS.noDelay,
  /** Keep-alive probes off. */
  keepAlive: TCP_SERVER_DEFAULTS.keepAlive,
  /** No SO_REUSEPORT. */
  reusePort: TCP_SERVER_DEFAULTS.reusePort,
} as const satisfies Required<Omit<BulkServerOptions, 'verify' | 'onError'>>;

/** A bulk server's handler: serve one client; when the returned promise settles, the connection ends. */
export type BulkHandler = (conn: BulkConnection) => unknown;

/** {@link BulkServer.stats}: the lifecycle's counters plus the memory budget's. */
export interface BulkServerStats extends TcpServerStats {
  /** The `memoryBudget` option, in bytes. */
  memoryBudget: number;
  /** Bytes held now by admitted arrays (including retained ones). */
  memoryInUse: number;
  /** Arrays holding budget now. */
  arraysHeld: number;
  /** Arrays received completely, since the server was created. */
  arrays: number;
  /** Body bytes of those arrays (their data, without the `.npy` headers). */
  arrayBytes: number;
  /** Arrays waiting for room in the budget now. */
  admissionWaiting: number;
  /** Arrays that had to wait for room, since the server was created. */
  admissionWaits: number;
  /** Arrays refused: over `maxBytes`, `maxHeaderBytes` or `memoryBudget`, or past `admissionTimeout`. */
  admissionRefusals: number;
  /** Malformed or unsupported headers (bad `.npy`, object or Fortran-order arrays). */
  protocolErrors: number;
}

/**
 * A server of `.npy` arrays with one memory budget for all its connections. Create it
 * with {@link createBulkServer}.
 */
export class BulkServer {
  readonly #server: TcpServer;
  readonly #budget: MemoryBudget;
  readonly #shared: ConnectionShared;

  /** Use {@link createBulkServer}. */
  constructor(handler: BulkHandler, options?: BulkServerOptions) {
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError('handler must be a function (conn) => Promise<void>');
    }
    const resolved = withDefaults(BULK_SERVER_DEFAULTS, options) as typeof BULK_SERVER_DEFAULTS &
      Pick<BulkServerOptions, 'verify' | 'onError'>;
    checkByteSize('memoryBudget', resolved.memoryBudget, 1);
    checkByteSize('maxBytes', resolved.maxBytes);
    if (resolved.maxBytes > bufferConstants.MAX_LENGTH) {
      throw new InvalidArgumentError(
        `maxBytes of ${resolved.maxBytes} is over the largest ArrayBuffer Node can make (${bufferConstants.MAX_LENGTH})`,
      );
    }
    checkByteSize('maxHeaderBytes', resolved.maxHeaderBytes, 1);
    checkMs('headerTimeout', resolved.headerTimeout);
    checkMs('admissionTimeout', resolved.admissionTimeout);
    checkMs('bodyTimeout', resolved.bodyTimeout);
    checkByteSize('readAhead', resolved.readAhead, 1);
    // The lifecycle's own options are checked by @net/tcp-server.
    checkOptionalFunction('onError', resolved.onError);
    this.#budget = new MemoryBudget(resolved.memoryBudget);
    this.#shared = {
      budget: this.#budget,
      maxBytes: resolved.maxBytes,
      maxHeaderBytes: resolved.maxHeaderBytes,
      admissionTimeout: resolved.admissionTimeout,
      bodyTimeout: resolved.bodyTimeout,
      readAhead: resolved.readAhead,
      counters: { arrays: 0, arrayBytes: 0, refusals: 0, protocolErrors: 0 },
    };
    const userHook = resolved.onError;
    const report = (error: unknown, context: ErrorContext): void => {
      if (userHook !== undefined) userHook(error, context);
      else if (context.phase !== 'handshake') reportError('@net/bulk-transfer', error, context);
    };
    const shared = this.#shared;
    const serve = async (socket: Socket, context: ConnectionContext): Promise<void> => {
      const conn = new BulkConnection(socket, context, shared);
      try {
        await handler(conn);
      } catch (error) {
        // A failed first header is the lifecycle's handshake failure; later, what the
        // client did (refused, malformed, gone) closes that client only and is not a bug.
        if (!context.established || !conn[kCausedByPeer](error)) throw error;
        socket.destroy();
        // Refusals and malformed arrays go to your hook; a client that left is only counted.
        const consequence = isTransferInterruption(error) || error === context.signal.reason;
        if (userHook !== undefined && !consequence) {
          report(error, {
            phase: 'handler',
            remoteAddress: context.remoteAddress,
            remotePort: context.remotePort,
          });
        }
      } finally {
        conn[kFinish]();
      }
    };
    this.#server = createSocketServer(serve, {
      maxConnections: resolved.maxConnections,
      idleTimeout: resolved.idleTimeout,
      handshakeTimeout: resolved.headerTimeout,
      endTimeout: resolved.endTimeout,
      closeTimeout: resolved.closeTimeout,
      backlog: resolved.backlog,
      noDelay: resolved.noDelay,
      keepAlive: resolved.keepAlive,
      reusePort: resolved.reusePort,
      verify: resolved.verify,
      onError: report,
    });
  }

  /** True while the server accepts connections. */
  get listening(): boolean {
    return this.#server.listening;
  }

  /**
   * Starts accepting on a TCP address or a Unix socket path; resolves with the bound
   * address. Rejects with `ERR_LISTEN` or `ERR_SERVER_STATE`.
   */
  listen(options: TcpListenOptions): Promise<TcpAddress>;
  listen(options: UnixListenOptions): Promise<UnixAddress>;
  listen(options: TcpListenOptions | UnixListenOptions): Promise<TcpAddress | UnixAddress> {
    return this.#server.listen(options as TcpListenOptions);
  }

  /**
   * Shuts down: stops accepting, closes connections still waiting for their first header,
   * lets arrays in progress finish (a handler waiting between arrays gets `null`), waits
   * up to `timeout` (default `closeTimeout`), then destroys what is left. Retained arrays
   * keep their share of the budget until released.
   */
  close(options?: CloseOptions): Promise<void> {
    return this.#server.close(options);
  }

  /** Serves a socket accepted elsewhere, with the same limits and budget. */
  handleConnection(socket: Socket): void {
    this.#server.handleConnection(socket);
  }

  /** The lifecycle's counters and the memory budget's. */
  stats(): BulkServerStats {
    const budget = this.#budget;
    const counters = this.#shared.counters;
    return {
      ...this.#server.stats(),
      memoryBudget: budget.capacity,
      memoryInUse: budget.inUse,
      arraysHeld: budget.held,
      arrays: counters.arrays,
      arrayBytes: counters.arrayBytes,
      admissionWaiting: budget.waiting,
      admissionWaits: budget.waits,
      admissionRefusals: counters.refusals,
      protocolErrors: counters.protocolErrors,
    };
  }
}

/**
 * Creates a {@link BulkServer}: `handler(conn)` runs for every client and receives arrays
 * with `conn.recvArray()` (admitted by the memory budget before they are allocated) and
 * sends them with `conn.sendArray()`.
 */
export function createBulkServer(handler: BulkHandler, options?: BulkServerOptions): BulkServer {
  return new BulkServer(handler, options);
}
