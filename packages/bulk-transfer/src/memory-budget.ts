/**
 * The bulk server's memory budget: how many bytes of arrays may be held at once across
 * all connections. An array is admitted (its bytes counted) before it is allocated, and
 * its bytes come back when its lease is released. Waiters are served first come, first
 * served: a large array at the head is not overtaken forever by small ones.
 */
import { AdmissionTimeoutError } from './errors.js';

/** Bytes of the budget held by one admitted array; `release()` gives them back, once. */
export interface Lease {
  readonly bytes: number;
  readonly released: boolean;
  release(): void;
}

interface Waiter {
  bytes: number;
  resolve: (lease: Lease) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** @internal The budget shared by every connection of one bulk server. */
export class MemoryBudget {
  readonly capacity: number;
  /** Bytes held by admitted arrays whose lease is not yet released. */
  inUse = 0;
  /** Leases not yet released. */
  held = 0;
  /** Arrays that could not be admitted at once and had to wait. */
  waits = 0;
  readonly #queue: Waiter[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Arrays waiting for room now. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Admits `bytes` (at most the capacity): at once when there is room and nobody waits,
   * else after the earlier waiters, when enough is released. Rejects with an
   * {@link AdmissionTimeoutError} after `timeout` ms (0 = no limit), or with the signal's
   * reason when it aborts; nothing is held then.
   */
  acquire(bytes: number, timeout: number, signal: AbortSignal | undefined): Promise<Lease> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#queue.length === 0 && this.inUse + bytes <= this.capacity) {
      return Promise.resolve(this.#grant(bytes));
    }
    this.waits++;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        resolve,
        reject,
        timer: undefined,
        signal,
        onAbort: undefined,
      };
      if (timeout > 0) {
        waiter.timer = setTimeout(() => {
          this.#drop(waiter, new AdmissionTimeoutError(timeout, bytes, this.capacity, this.inUse));
        }, timeout);
      }
      if (signal !== undefined) {
        waiter.onAbort = () => this.#drop(waiter, signal.reason);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
    });
  }

  #grant(bytes: number): Lease {
    this.inUse += bytes;
    this.held++;
    let released = false;
    return {
      bytes,
      get released() {
        return released;
      },
      release: () => {
        if (released) return;
        released = true;
        this.inUse -= bytes;
        this.held--;
        this.#pump();
      },
    };
  }

  /** Admits waiters from the head of the line while they fit. */
  #pump(): void {
    for (let head = this.#queue[0]; head !== undefined; head = this.#queue[0]) {
      if (this.inUse + head.bytes > this.capacity) return;
      this.#queue.shift();
      this.#settle(head);
      head.resolve(this.#grant(head.bytes));
    }
  }

  #drop(waiter: Waiter, reason: unknown): void {
    const index = this.#queue.indexOf(waiter);
    if (index === -1) return;
    this.#queue.splice(index, 1);
    this.#settle(waiter);
    waiter.reject(reason);
    // The head may have gone: the next ones may fit now.
    if (index === 0) this.#pump();
  }

  #settle(waiter: Waiter): void {
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }
}
