/**
 * `createUdpClient`: many requests over one socket, replies matched to requests; and
 * `udpRequest`, one request with timeout and retries.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import { checkCount, checkMs, checkSignal, MAX_TIMER_MS, withDefaults } from '@net/core';
import { checkPort, type ResolvedAddress, resolveHost, type UdpTarget } from './address.js';
import {
  ClientClosedError,
  InvalidArgumentError,
  RequestAbortedError,
  RequestTimeoutError,
  SendError,
} from './errors.js';
import { type Payload, toDatagram } from './payload.js';
import { checkSocketOptions, openSocket, type SocketOptions } from './socket.js';

/** Per-request options (each overrides the client's default). */
export interface UdpRequestOptions {
  /** Milliseconds to wait for the reply to the first attempt. */
  timeout?: number;
  /** Datagrams re-sent after a timeout before giving up (attempts = 1 + retries). */
  retries?: number;
  /** Each retry waits `backoff` times longer than the attempt before it (1 = no backoff). */
  backoff?: number;
  /** Cancels the request: it rejects with `ERR_ABORTED`. */
  signal?: AbortSignal;
}

/**
 * How a client tags requests with an id and finds the id in replies, for servers that
 * echo an id back. Without it, replies are matched first-in first-out.
 */
export interface ReplyIdCodec {
  /** Returns the datagram to send for request `id` (0 to 2^32 − 1) carrying `data`. */
  encode(id: number, data: Uint8Array): Uint8Array;
  /** Returns the id a reply answers, or `undefined` if it carries none (it is ignored). */
  decode(reply: Uint8Array): number | undefined;
}

/** Options of {@link createUdpClient}. */
export interface UdpClientOptions extends SocketOptions {
  /** Default per-attempt timeout of requests, in milliseconds. */
  timeout?: number;
  /** Default retries of requests. */
  retries?: number;
  /** Default backoff factor of requests. */
  backoff?: number;
  /** Id-based reply matching; see {@link ReplyIdCodec}. Default: FIFO. */
  ids?: ReplyIdCodec;
}

/**
 * Defaults of {@link UdpClientOptions}. No retries: with FIFO matching, a retry whose
 * original reply was only late makes the server answer twice (see the README).
 */
export const UDP_CLIENT_DEFAULTS = {
  /** 1 s per attempt. */
  timeout: 1_000,
  /** One attempt only. */
  retries: 0,
  /** Each retry waits twice as long as the attempt before it. */
  backoff: 2,
} as const satisfies Required<Omit<UdpClientOptions, 'ids' | keyof SocketOptions>>;

/** Defaults of {@link udpRequest}'s options. */
export const UDP_REQUEST_DEFAULTS = {
  /** 1 s for the first attempt. */
  timeout: 1_000,
  /** 4 attempts in all: 1 + 2 + 4 + 8 = 15 s at most. */
  retries: 3,
  /** Each retry waits twice as long as the attempt before it. */
  backoff: 2,
} as const satisfies Required<Omit<UdpRequestOptions, 'signal'>>;

/** Counters of a client since it was created. */
export interface UdpClientStats {
  /** Datagrams sent, retries included. */
  sent: number;
  /** Of those, retries after a timeout. */
  retransmits: number;
  /** Datagrams received, from anyone. */
  received: number;
  /** Replies that settled a request. */
  matched: number;
  /** Datagrams ignored: from another address or port, or matching no pending request. */
  ignored: number;
  /** Requests that failed with `ERR_REQUEST_TIMEOUT`. */
  timeouts: number;
  /** Requests waiting for a reply now. */
  pending: number;
}

/** A UDP client: one socket, many requests, each settled by the reply matched to it. */
export interface UdpClient {
  /**
   * Sends `data` and resolves with the matching reply (a `Buffer`). Rejects with
   * `ERR_REQUEST_TIMEOUT`, `ERR_ABORTED`, `ERR_CLIENT_CLOSED`, `ERR_DATAGRAM_TOO_LARGE`,
   * `ERR_SEND_FAILED`.
   */
  request(data: Payload, options?: UdpRequestOptions): Promise<Uint8Array>;
  /** Closes the socket; pending requests reject with `ERR_CLIENT_CLOSED`. Idempotent. */
  close(): Promise<void>;
  /** A snapshot of the counters. */
  stats(): UdpClientStats;
}

interface Pending {
  readonly datagram: Uint8Array;
  readonly id: number;
  readonly attempts: number;
  readonly backoff: number;
  readonly start: number;
  readonly resolve: (reply: Uint8Array) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  attempt: number;
  wait: number;
  timer: NodeJS.Timeout | undefined;
}

function checkRequestOptions(timeout: number, retries: number, backoff: number): void {
  checkMs('timeout', timeout);
  if (timeout === 0) {
    // A UDP request cannot wait forever for a datagram that may have been lost.
    throw new InvalidArgumentError('timeout must be at least 1 ms for a UDP request, got 0');
  }
  if (typeof backoff !== 'number' || !Number.isFinite(backoff) || backoff < 1) {
    throw new InvalidArgumentError(`backoff must be a number >= 1, got ${String(backoff)}`);
  }
  checkCount('retries', retries);
}

class Client implements UdpClient {
  readonly #options: UdpClientOptions;
  readonly #codec: ReplyIdCodec | undefined;
  readonly #port: number;
  readonly #ready: Promise<ResolvedAddress>;
  #peer: ResolvedAddress | undefined;
  #socket: Socket | undefined;
  #closed: Promise<void> | undefined;
  readonly #fifo: Pending[] = [];
  readonly #byId = new Map<number, Pending>();
  #nextId = 0;
  #sent = 0;
  #retransmits = 0;
  #received = 0;
  #matched = 0;
  #ignored = 0;
  #timeouts = 0;

  constructor(target: UdpTarget, options: UdpClientOptions) {
    if (target === null || typeof target !== 'object') {
      throw new InvalidArgumentError('The target must be an object { host, port }');
    }
    checkPort(target.port, 1);
    const settings = withDefaults(UDP_CLIENT_DEFAULTS, options);
    checkSocketOptions(settings);
    checkRequestOptions(settings.timeout, settings.retries, settings.backoff);
    this.#options = settings;
    this.#codec = options.ids;
    this.#port = target.port;
    this.#ready = resolveHost(target.host);
    this.#ready.catch(() => undefined); // surfaced by request()
  }

  async request(data: Payload, options: UdpRequestOptions = {}): Promise<Uint8Array> {
    const { timeout, retries, backoff, signal } = withDefaults(
      this.#options as Required<Pick<UdpClientOptions, 'timeout' | 'retries' | 'backoff'>>,
      options,
    );
    checkRequestOptions(timeout, retries, backoff);
    checkSignal('signal', signal);
    if (this.#closed) throw new ClientClosedError();
    if (signal?.aborted) throw new RequestAbortedError(signal.reason);
    const peer = this.#peer ?? (await this.#ready);
    if (this.#closed) throw new ClientClosedError();
    if (signal?.aborted) throw new RequestAbortedError(signal.reason);
    const socket = this.#open(peer);
    let datagram = toDatagram(data, peer.address, peer.family);
    let id = -1;
    if (this.#codec !== undefined) {
      id = this.#allocateId();
      datagram = toDatagram(this.#codec.encode(id, datagram), peer.address, peer.family);
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      const pending: Pending = {
        datagram,
        id,
        attempts: 1 + retries,
        backoff,
        start: performance.now(),
        resolve,
        reject,
        signal,
        onAbort: undefined,
        attempt: 0,
        wait: timeout,
        timer: undefined,
      };
      // Not core's createDeadline: a request is not one deadline but one timer per attempt
      // (re-armed with backoff on each retransmission), and this is the client's per-request
      // path, where a linked AbortController per request would cost throughput for nothing.
      if (signal !== undefined) {
        pending.onAbort = () => this.#fail(pending, new RequestAbortedError(signal.reason));
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      if (id === -1) this.#fifo.push(pending);
      else this.#byId.set(id, pending);
      this.#transmit(socket, peer, pending);
    });
  }

  #open(peer: ResolvedAddress): Socket {
    if (this.#socket !== undefined) return this.#socket;
    const socket = openSocket(peer.family, this.#options);
    socket.on('error', () => undefined); // failures surface through send callbacks
    socket.on('message', this.#onMessage);
    this.#peer = peer;
    this.#socket = socket;
    return socket;
  }

  #allocateId(): number {
    for (let tries = 0; tries < 0x1_0000_0000; tries++) {
      const id = this.#nextId;
      this.#nextId = (this.#nextId + 1) >>> 0;
      if (!this.#byId.has(id)) return id;
    }
    throw new InvalidArgumentError('No free request id');
  }

  #transmit(socket: Socket, peer: ResolvedAddress, pending: Pending): void {
    if (pending.attempt > 0) this.#retransmits++;
    pending.attempt++;
    this.#sent++;
    socket.send(pending.datagram, this.#port, peer.address, (error) => {
      if (error) this.#fail(pending, new SendError(peer.address, this.#port, error));
    });
    pending.timer = setTimeout(this.#onTimeout, pending.wait, pending);
    // Backoff must not push a wait past Node's timer ceiling, which would fire it at once.
    pending.wait = Math.min(pending.wait * pending.backoff, MAX_TIMER_MS);
  }

  readonly #onTimeout = (pending: Pending): void => {
    pending.timer = undefined;
    if (pending.attempt < pending.attempts && this.#socket !== undefined && !this.#closed) {
      this.#transmit(this.#socket, this.#peer!, pending);
      return;
    }
    this.#timeouts++;
    this.#fail(
      pending,
      new RequestTimeoutError(pending.attempt, performance.now() - pending.start),
    );
  };

  readonly #onMessage = (reply: Buffer, rinfo: RemoteInfo): void => {
    this.#received++;
    const peer = this.#peer!;
    if (rinfo.port !== this.#port || rinfo.address !== peer.address) {
      this.#ignored++;
      return;
    }
    let pending: Pending | undefined;
    if (this.#codec === undefined) {
      pending = this.#fifo.shift();
    } else {
      let id: number | undefined;
      try {
        id = this.#codec.decode(reply);
      } catch {
        id = undefined; // a reply the codec cannot read matches nothing
      }
      pending = id === undefined ? undefined : this.#byId.get(id);
      if (pending !== undefined) this.#byId.delete(pending.id);
    }
    if (pending === undefined) {
      this.#ignored++;
      return;
    }
    this.#matched++;
    this.#settle(pending);
    pending.resolve(reply);
  };

  /** Stops the request's timer and abort listener and forgets it. */
  #settle(pending: Pending): void {
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.timer = undefined;
    if (pending.onAbort !== undefined)
      pending.signal!.removeEventListener('abort', pending.onAbort);
  }

  #fail(pending: Pending, error: Error): void {
    const known =
      pending.id === -1
        ? this.#fifo.indexOf(pending) !== -1
        : this.#byId.get(pending.id) === pending;
    if (!known) return; // already settled
    if (pending.id === -1) this.#fifo.splice(this.#fifo.indexOf(pending), 1);
    else this.#byId.delete(pending.id);
    this.#settle(pending);
    pending.reject(error);
  }

  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    const error = new ClientClosedError();
    for (const pending of [...this.#fifo, ...this.#byId.values()]) this.#fail(pending, error);
    const socket = this.#socket;
    this.#closed = socket === undefined ? Promise.resolve() : new Promise((r) => socket.close(r));
    return this.#closed;
  }

  stats(): UdpClientStats {
    return {
      sent: this.#sent,
      retransmits: this.#retransmits,
      received: this.#received,
      matched: this.#matched,
      ignored: this.#ignored,
      timeouts: this.#timeouts,
      pending: this.#fifo.length + this.#byId.size,
    };
  }
}

/**
 * Creates a client for many requests to one `target` over one socket.
 *
 * Only datagrams from the target's exact address and port count as replies. Matching:
 * by default first-in first-out (the oldest pending request takes the next reply), exact
 * for servers that answer every request once and in order; pass `ids` for servers that
 * echo a request id. The target is resolved once, on the first request.
 *
 * @param target - the server's `{ host, port }`
 * @param options - see {@link UdpClientOptions} and {@link UDP_CLIENT_DEFAULTS}
 * @throws {@link InvalidArgumentError} (`ERR_INVALID_ARGUMENT`) for a bad target or option
 */
export function createUdpClient(target: UdpTarget, options: UdpClientOptions = {}): UdpClient {
  return new Client(target, options);
}

/** Options of {@link udpRequest}. */
export interface UdpSingleRequestOptions extends UdpRequestOptions, SocketOptions {}

/**
 * Sends one request datagram to `target` from a fresh socket and resolves with the first
 * reply from that exact address and port. Waits `timeout` ms, then re-sends up to
 * `retries` times, each wait `backoff` times longer than the last.
 *
 * @param target - the server's `{ host, port }`
 * @param data - the request (bytes, or a string as UTF-8); may be empty
 * @param options - see {@link UDP_REQUEST_DEFAULTS}
 * @returns the reply (a `Buffer`)
 * @throws `ERR_REQUEST_TIMEOUT` ({@link RequestTimeoutError}, with `attempts`),
 *   `ERR_ABORTED`, `ERR_DATAGRAM_TOO_LARGE`, `ERR_SEND_FAILED`, `ERR_INVALID_ARGUMENT`
 */
export async function udpRequest(
  target: UdpTarget,
  data: Payload,
  options: UdpSingleRequestOptions = {},
): Promise<Uint8Array> {
  const { signal, ...rest } = withDefaults(UDP_REQUEST_DEFAULTS, options);
  const client = new Client(target, rest);
  try {
    return await client.request(data, signal === undefined ? {} : { signal });
  } finally {
    await client.close();
  }
}
