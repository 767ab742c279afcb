/**
 * One client of a bulk server, as its handler sees it: `recvArray()` reads the next
 * `.npy` header, has the array admitted by the server's memory budget, and only then
 * allocates and reads the body; every received array carries its lease on the budget.
 */
import type { Socket } from 'node:net';
import { ServerStateError } from '@net/core';
import type { ConnectionContext } from '@net/tcp-server';
import {
  AdmissionTimeoutError,
  ArrayTooLargeError,
  FortranOrderError,
  isTransferInterruption,
  NpyHeaderError,
  UnsupportedDtypeError,
} from './errors.js';
import type { Lease, MemoryBudget } from './memory-budget.js';
import { callContext, type SendArrayOptions } from './options.js';
import {
  headerUntouched,
  type ReceivedArray,
  readArrayBody,
  readArrayHeader,
  withSource,
} from './receive.js';
import { sendArray } from './send.js';

/**
 * An array received by {@link BulkConnection.recvArray}, holding `bytes` of the server's
 * memory budget until it is done: by default until the handler asks for the next array or
 * returns (or the connection closes). Work that outlives that (a checksum queued on a
 * worker thread) calls `retain()` first and the returned `release()` when it is finished.
 */
export interface BulkArray extends ReceivedArray {
  /** The body's size in bytes: what this array holds of the memory budget. */
  readonly bytes: number;
  /**
   * Keeps this array's share of the budget past the next `recvArray()`, the handler's
   * return and the connection's end, until the returned function is called (calling it
   * again does nothing). Call it right away: once the share went back (the handler asked
   * for the next array or returned), it throws `ERR_SERVER_STATE`.
   */
  retain(): () => void;
}

/** What every connection of one server shares. @internal */
export interface ConnectionShared {
  budget: MemoryBudget;
  maxBytes: number;
  maxHeaderBytes: number;
  admissionTimeout: number;
  bodyTimeout: number;
  readAhead: number;
  counters: { arrays: number; arrayBytes: number; refusals: number; protocolErrors: number };
}

/** Internal: releases what the connection had not retained (the handler returned). */
export const kFinish = Symbol('finish');
/** Internal: true when `error` came from this connection's calls because of the peer. */
export const kCausedByPeer = Symbol('causedByPeer');

/**
 * One client of a {@link BulkServer}: receive arrays with {@link BulkConnection.recvArray},
 * send them with {@link BulkConnection.sendArray}. Calls of each kind are served in order.
 */
export class BulkConnection {
  /** The peer's IP address (`undefined` for Unix domain sockets). */
  readonly remoteAddress: string | undefined;
  /** The peer's port (`undefined` for Unix domain sockets). */
  readonly remotePort: number | undefined;
  /** `'IPv4'` or `'IPv6'` (`undefined` for Unix domain sockets). */
  readonly remoteFamily: string | undefined;
  readonly #socket: Socket;
  readonly #context: ConnectionContext;
  readonly #shared: ConnectionShared;
  /** Leases of delivered arrays that were neither retained nor released. */
  readonly #leases = new Set<Lease>();
  readonly #peerErrors = new WeakSet<object>();

  /** @internal Made by the server for each connection. */
  constructor(socket: Socket, context: ConnectionContext, shared: ConnectionShared) {
    this.#socket = socket;
    this.#context = context;
    this.#shared = shared;
    this.remoteAddress = context.remoteAddress;
    this.remotePort = context.remotePort;
    this.remoteFamily = context.remoteFamily;
    socket.once('close', () => this.#releaseUnretained());
  }

  /**
   * Aborted when the connection closes (`ERR_CONNECTION_CLOSED`), makes no progress for
   * `idleTimeout` (`ERR_IDLE_TIMEOUT`), sends no complete header within `headerTimeout`
   * (`ERR_HANDSHAKE_TIMEOUT`), or the server shuts down (`ERR_SERVER_CLOSING`).
   */
  get signal(): AbortSignal {
    return this.#context.signal;
  }

  /** True once the client's first array header arrived (the end of the first phase). */
  get established(): boolean {
    return this.#context.established;
  }

  /**
   * Receives the next array: reads its header, checks its size against `maxBytes` and
   * `memoryBudget`, waits (up to `admissionTimeout`) until the budget has room for it,
   * and only then allocates it and reads its body. Resolves with `null` when the client
   * ended the connection between arrays, or the server is closing and no byte of another
   * array has arrived. Arrays received earlier and not retained give their share of the
   * budget back now.
   *
   * Rejects with `ERR_ARRAY_TOO_LARGE` (over `maxBytes`, `maxHeaderBytes` or
   * `memoryBudget`), `ERR_TIMEOUT` (an `AdmissionTimeoutError`, or `bodyTimeout`),
   * `ERR_NPY_HEADER`, `ERR_UNSUPPORTED_DTYPE`, `ERR_FORTRAN_ORDER`, `ERR_TRANSFER_INCOMPLETE`
   * (the client left mid-array), or the signal's reason; the connection is closed then.
   */
  recvArray(): Promise<BulkArray | null> {
    this.#releaseUnretained();
    const shared = this.#shared;
    const promise = withSource(
      this.#socket,
      async (source) => {
        const signal = this.#context.signal;
        const headerCtx = callContext({ signal });
        let header: Awaited<ReturnType<typeof readArrayHeader>>;
        try {
          header = await readArrayHeader(
            source,
            headerCtx,
            { maxBytes: shared.maxBytes, maxHeaderBytes: shared.maxHeaderBytes },
            () => this.#context.markEstablished(),
          );
        } catch (error) {
          if (isTransferInterruption(error) && error.bytesTransferred === 0) {
            if (error.code === 'ERR_TRANSFER_INCOMPLETE') return null; // a clean end
            const reason = signal.reason as { code?: unknown } | undefined;
            if (signal.aborted && reason?.code === 'ERR_SERVER_CLOSING') return null;
          }
          // The signal says why better than "aborted" (idle, handshake deadline, closed).
          if (isTransferInterruption(error) && error.code === 'ERR_ABORTED' && signal.aborted) {
            throw signal.reason;
          }
          throw error;
        }
        const { budget } = shared;
        if (header.bytes > budget.capacity) {
          throw new ArrayTooLargeError(
            'Array',
            BigInt(header.bytes),
            budget.capacity,
            'memoryBudget',
          );
        }
        const lease = await budget.acquire(header.bytes, shared.admissionTimeout, signal);
        let received: ReceivedArray;
        try {
          received = await readArrayBody(
            source,
            header,
            callContext({ timeout: shared.bodyTimeout }),
          );
        } catch (error) {
          lease.release();
          throw error;
        }
        shared.counters.arrays++;
        shared.counters.arrayBytes += header.bytes;
        return this.#deliver(received, lease);
      },
      headerUntouched,
      { highWaterMark: shared.readAhead },
    );
    return promise.catch((error: unknown) => {
      this.#count(error);
      throw error;
    });
  }

  /**
   * Sends `array` to the client in `.npy` format (see the package's `sendArray`); the
   * server's `close()` lets a send in progress finish. Rejects with
   * `ERR_TRANSFER_INCOMPLETE` when the client goes away, or `ERR_TIMEOUT`/`ERR_ABORTED`
   * for the call's own `timeout`/`signal`.
   */
  sendArray(array: ArrayBufferView, options: SendArrayOptions = {}): Promise<number> {
    return sendArray(this.#socket, array, options).catch((error: unknown) => {
      if (isTransferInterruption(error)) this.#peerErrors.add(error);
      throw error;
    });
  }

  #deliver(received: ReceivedArray, lease: Lease): BulkArray {
    this.#leases.add(lease);
    const leases = this.#leases;
    let release: (() => void) | undefined;
    return {
      ...received,
      bytes: lease.bytes,
      retain(): () => void {
        if (release !== undefined) return release;
        if (lease.released) {
          throw new ServerStateError(
            "retain() was called after the array's memory went back to the budget (the handler " +
              'asked for the next array, returned, or the connection closed); call retain() ' +
              'right after recvArray() resolves',
          );
        }
        leases.delete(lease);
        release = () => lease.release();
        return release;
      },
    };
  }

  #releaseUnretained(): void {
    for (const lease of this.#leases) lease.release();
    this.#leases.clear();
  }

  /** Counts what the peer did wrong, and remembers that the error is the peer's doing. */
  #count(error: unknown): void {
    if (error === null || typeof error !== 'object') return;
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_INVALID_ARGUMENT') return;
    this.#peerErrors.add(error);
    const counters = this.#shared.counters;
    if (error instanceof ArrayTooLargeError || error instanceof AdmissionTimeoutError) {
      counters.refusals++;
    } else if (
      error instanceof NpyHeaderError ||
      error instanceof UnsupportedDtypeError ||
      error instanceof FortranOrderError
    ) {
      counters.protocolErrors++;
    }
  }

  /** @internal */
  [kCausedByPeer](error: unknown): boolean {
    return error !== null && typeof error === 'object' && this.#peerErrors.has(error);
  }

  /** @internal The handler returned: what it did not retain goes back to the budget. */
  [kFinish](): void {
    this.#releaseUnretained();
  }
}
