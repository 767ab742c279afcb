/**
 * A connecting socket whose reads land in the caller's memory: Node's `onread` option
 * lets us choose, before every read, the buffer the kernel writes into. While a
 * `recvInto`/`recvArray` body is waiting, that buffer is the unfilled rest of the
 * destination itself (zero copies, and never a byte past the destination's end); at other
 * times it is a small staging buffer from which headers are parsed.
 */
import {
  connect,
  type IpcNetConnectOpts,
  type NetConnectOpts,
  type Socket,
  type TcpNetConnectOpts,
} from 'node:net';
import type { ByteSource, ReadPhase } from './byte-source.js';
import { BulkConnectError, type InterruptionCode, interruption } from './errors.js';
import { BULK_TRANSFER_DEFAULTS, type CallContext, checkInteger } from './options.js';

/** Options of {@link connectForBulk}: where to connect (as for `net.connect`) and read-ahead. */
export type ConnectForBulkOptions = (
  | Omit<TcpNetConnectOpts, 'onread'>
  | Omit<IpcNetConnectOpts, 'onread'>
) & {
  /** Bytes read ahead while no call waits; reading pauses beyond. */
  highWaterMark?: number;
};

/** The smallest staging space handed to the kernel for one read. */
const MIN_READ = 64 * 1024;

interface Request {
  /** `exact`: a header part, served from staging only. `fill`: a destination, armed for the kernel. */
  kind: 'exact' | 'fill';
  target: Uint8Array;
  filled: number;
  ctx: CallContext;
  phase: ReadPhase;
  nextProgress: number;
  resolve: (bytes: Uint8Array) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;
}

/** The byte source behind each receiver, kept out of its public surface. */
const sources = new WeakMap<BulkReceiver, ByteSource>();

/** The {@link ByteSource} through which `recvInto`/`recvArray` read a receiver. */
export function bulkSource(receiver: BulkReceiver): ByteSource {
  return sources.get(receiver)!;
}

/**
 * A TCP (or IPC) connection made by {@link connectForBulk} for receiving large arrays with
 * no copies. Pass it to `recvInto`/`recvArray` (zero-copy) and to `sendArray`/`sendBuffer`;
 * use `socket` for anything else (events, `end()`, `destroy()`). Calls are served in order.
 * A call that is cut short mid-message (timeout, abort, peer gone) closes the connection.
 */
export class BulkReceiver {
  /** The underlying socket, created with `onread`: it emits no `'data'` events. */
  readonly socket: Socket;
  readonly #highWaterMark: number;
  #stage: Buffer;
  #start = 0;
  #end = 0;
  readonly #queue: Request[] = [];
  /** The request whose destination the kernel's next read goes into, if any. */
  #armed: Request | undefined;
  #ended = false;
  #error: unknown;
  #paused = false;

  /** Use {@link connectForBulk}. */
  constructor(options: ConnectForBulkOptions) {
    const { highWaterMark = BULK_TRANSFER_DEFAULTS.highWaterMark, ...connectOptions } = options;
    checkInteger('highWaterMark', highWaterMark, 1, 2 ** 30);
    this.#highWaterMark = highWaterMark;
    this.#stage = Buffer.allocUnsafe(highWaterMark + MIN_READ);
    this.socket = connect({
      ...(connectOptions as NetConnectOpts),
      onread: { buffer: () => this.#nextBuffer(), callback: (n, _buf) => this.#onRead(n) },
    });
    this.socket.on('end', this.#onEnd);
    this.socket.on('close', this.#onEnd);
    this.socket.on('error', this.#onError);
    sources.set(this, {
      readExactly: (n, ctx, phase) => this.#enqueue('exact', Buffer.allocUnsafe(n), ctx, phase),
      fill: async (target, ctx) => {
        const phase: ReadPhase = { phase: 'body', before: 0, expected: target.byteLength };
        await this.#enqueue('fill', target, ctx, phase);
        if (target.byteLength === 0) ctx.progress?.(0, 0);
      },
      finish: (keep) => {
        if (!keep) this.socket.destroy();
      },
    });
  }

  /** Bytes received and not yet claimed by a call. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  #enqueue(
    kind: Request['kind'],
    target: Uint8Array,
    ctx: CallContext,
    phase: ReadPhase,
  ): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const req: Request = {
        kind,
        target,
        filled: 0,
        ctx,
        phase,
        nextProgress: Math.min(ctx.chunkSize, target.byteLength),
        resolve,
        reject,
        timer: undefined,
        onAbort: undefined,
      };
      if (ctx.signal?.aborted) {
        reject(this.#interruption(req, 'ERR_ABORTED', ctx.signal.reason));
        return;
      }
      if (ctx.deadline !== Number.POSITIVE_INFINITY) {
        const ms = Math.max(1, ctx.deadline - performance.now());
        req.timer = setTimeout(() => this.#cancel(req, 'ERR_TIMEOUT', undefined), ms);
      }
      if (ctx.signal !== undefined) {
        const signal = ctx.signal;
        req.onAbort = () => this.#cancel(req, 'ERR_ABORTED', signal.reason);
        signal.addEventListener('abort', req.onAbort, { once: true });
      }
      this.#queue.push(req);
      this.#serve();
    });
  }

  /** The buffer for the kernel's next read: the waiting destination, or staging space. */
  #nextBuffer(): Uint8Array {
    const head = this.#queue[0];
    if (
      head?.kind === 'fill' &&
      this.#start === this.#end &&
      head.filled < head.target.byteLength
    ) {
      this.#armed = head;
      return head.target.subarray(head.filled);
    }
    this.#armed = undefined;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#stage.byteLength - this.#end < MIN_READ) {
      const kept = this.#end - this.#start;
      const stage =
        kept + MIN_READ <= this.#stage.byteLength
          ? this.#stage
          : Buffer.allocUnsafe(Math.max(this.#stage.byteLength * 2, kept + MIN_READ));
      this.#stage.copy(stage, 0, this.#start, this.#end);
      this.#stage = stage;
      this.#start = 0;
      this.#end = kept;
    }
    return this.#stage.subarray(this.#end);
  }

  /** `onread` callback: `n` bytes landed in the buffer `#nextBuffer` handed out last. */
  #onRead(n: number): boolean {
    const armed = this.#armed;
    this.#armed = undefined;
    if (armed !== undefined) {
      armed.filled += n;
      this.#progress(armed);
    } else {
      this.#end += n;
    }
    this.#serve();
    if (this.#queue.length === 0 && this.#end - this.#start >= this.#highWaterMark) {
      this.#paused = true;
      return false; // Node stops reading until socket.resume()
    }
    return true;
  }

  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#serve();
  };

  readonly #onError = (error: unknown): void => {
    if (this.#error === undefined) this.#error = error;
    this.#serve();
  };

  /** Serves waiting calls from staging, in order, until one must wait for the network. */
  #serve(): void {
    for (let req = this.#queue[0]; req !== undefined; req = this.#queue[0]) {
      const size = req.target.byteLength;
      const available = this.#end - this.#start;
      if (req.kind === 'exact') {
        if (available >= size) {
          req.target.set(this.#stage.subarray(this.#start, this.#start + size));
          this.#start += size;
          req.filled = size;
        }
      } else if (available > 0 && req.filled < size) {
        const n = Math.min(available, size - req.filled);
        req.target.set(this.#stage.subarray(this.#start, this.#start + n), req.filled);
        this.#start += n;
        req.filled += n;
        this.#progress(req);
      }
      if (req.filled === size) {
        this.#settle(req);
        req.resolve(req.target);
      } else if (this.#ended || this.#error !== undefined) {
        if (req.kind === 'exact') req.filled = available; // what arrived, for the error
        this.#settle(req);
        req.reject(this.#interruption(req, 'ERR_TRANSFER_INCOMPLETE', this.#error));
      } else {
        break;
      }
    }
    if (this.#paused && (this.#queue.length > 0 || this.#end - this.#start < this.#highWaterMark)) {
      this.#paused = false;
      this.socket.resume();
    }
  }

  #progress(req: Request): void {
    const size = req.target.byteLength;
    if (req.kind !== 'fill' || req.ctx.progress === undefined) return;
    if (req.filled >= req.nextProgress || req.filled === size) {
      req.nextProgress = Math.min(size, req.filled + req.ctx.chunkSize);
      req.ctx.progress(req.filled, size);
    }
  }

  #cancel(req: Request, code: InterruptionCode, cause: unknown): void {
    if (!this.#queue.includes(req)) return;
    if (req.kind === 'exact') req.filled = Math.min(req.target.byteLength, this.#end - this.#start);
    this.#settle(req);
    // The kernel may be about to read into the caller's array: stop it for good, so that
    // nothing lands there after this error reports how many bytes arrived.
    if (this.#armed === req || (req.kind === 'fill' && req.filled > 0)) this.socket.destroy();
    req.reject(this.#interruption(req, code, cause));
    this.#serve();
  }

  #settle(req: Request): void {
    const index = this.#queue.indexOf(req);
    if (index !== -1) this.#queue.splice(index, 1);
    if (req.timer !== undefined) clearTimeout(req.timer);
    if (req.onAbort !== undefined) req.ctx.signal?.removeEventListener('abort', req.onAbort);
  }

  #interruption(req: Request, code: InterruptionCode, cause: unknown): Error {
    return interruption(
      code,
      {
        direction: 'receive',
        phase: req.phase.phase,
        bytesTransferred: req.phase.before + req.filled,
        expected: req.phase.expected,
        cause,
      },
      req.ctx.timeout,
    );
  }
}

/**
 * Connects (like `net.connect`) and resolves once connected with a {@link BulkReceiver},
 * whose `recvInto`/`recvArray` bodies go from the kernel straight into your arrays.
 */
export function connectForBulk(options: ConnectForBulkOptions): Promise<BulkReceiver> {
  return new Promise((resolve, reject) => {
    let receiver: BulkReceiver;
    try {
      receiver = new BulkReceiver(options);
    } catch (error) {
      reject(error);
      return;
    }
    const onError = (error: unknown) => {
      receiver.socket.destroy();
      reject(new BulkConnectError(error));
    };
    receiver.socket.once('error', onError);
    receiver.socket.once('connect', () => {
      receiver.socket.off('error', onError);
      resolve(receiver);
    });
  });
}
