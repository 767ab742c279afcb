/**
 * `WorkerPool`: the recipe's `ThreadPoolExecutor`, on `worker_threads`. Tasks are queued in a
 * bounded FIFO and handed to workers; short tasks are pipelined (several in flight per worker)
 * to hide the message round trip, long ones are not, so a worker never sits idle behind a
 * long task while another has a backlog.
 */
import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Transferable, Worker } from 'node:worker_threads';
import { checkCount, checkMs, checkSignal, createDeadline, withDefaults } from '@net/core';
import {
  InvalidArgumentError,
  PoolClosedError,
  QueueFullError,
  TaskAbortedError,
  TaskFailedError,
  WorkerCrashedError,
  WorkerInitError,
} from './errors.js';
import { TaskQueue } from './task-queue.js';
import { WORKER_SOURCE } from './worker-source.js';

/** Options of {@link WorkerPool}. Defaults in {@link WORKER_POOL_DEFAULTS}. */
export interface WorkerPoolOptions {
  /**
   * Path or `file:` URL of the task module. Its default export is the task function
   * `(arg) => result | Promise<result>` (ESM `export default`, or CJS `module.exports = fn`).
   */
  filename: string | URL;
  /** Workers kept alive even when idle. */
  minWorkers?: number;
  /** Most workers at once. */
  maxWorkers?: number;
  /** Milliseconds an idle worker above `minWorkers` lives before it is retired. */
  idleTimeout?: number;
  /** Most tasks waiting for a worker; `run` rejects with `ERR_QUEUE_FULL` beyond it. */
  maxQueue?: number;
  /**
   * Most tasks in flight per worker when tasks are short (under 1 ms on average; 2 under
   * 20 ms, else 1): the next tasks wait in the worker's inbox so it never waits for a round
   * trip to the main thread. `1` disables it.
   * Tasks with a `signal` are never pipelined (they start on an idle worker).
   */
  pipeline?: number;
}

/** Defaults of {@link WorkerPoolOptions} (`maxWorkers` is this machine's available parallelism). */
export const WORKER_POOL_DEFAULTS = {
  /** No worker while idle: they start with the first tasks. */
  minWorkers: 0,
  /** `os.availableParallelism()`, at least 1. */
  maxWorkers: Math.max(1, availableParallelism()),
  /** 10 s. */
  idleTimeout: 10_000,
  /** 10,000 waiting tasks (`Infinity` = unbounded). */
  maxQueue: 10_000,
  /** Up to 16 short tasks in flight per worker. */
  pipeline: 16,
} as const satisfies Required<Omit<WorkerPoolOptions, 'filename'>>;

/** Options of one {@link WorkerPool.run} call. */
export interface RunOptions {
  /** Objects moved (not copied) to the worker, e.g. the `ArrayBuffer` behind a large argument. */
  transferList?: readonly Transferable[];
  /**
   * Cancels the task: before it starts it is removed from the queue; while it runs its worker
   * is terminated and replaced. Either way the promise rejects with `ERR_ABORTED`.
   */
  signal?: AbortSignal;
}

/** Options of {@link WorkerPool.map}. */
export interface MapOptions {
  /** Aborts every task of the map that has not finished. */
  signal?: AbortSignal;
  /** Most items submitted at once (default: enough to keep every worker busy). */
  concurrency?: number;
}

/** Counters returned by {@link WorkerPool.stats}. */
export interface WorkerPoolStats {
  /** Tasks that fulfilled. */
  completed: number;
  /** Tasks that rejected (task errors, crashes, aborts, destroy). */
  failed: number;
  /** Tasks waiting for a worker. */
  queued: number;
  /** Tasks handed to a worker and not yet answered. */
  running: number;
  /** Live workers. */
  workers: number;
  /** Busy worker-time over `maxWorkers` × time since the pool was created, 0–1. */
  utilization: number;
}

interface Task {
  arg: unknown;
  transferList: readonly Transferable[] | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  resolve: (value: never) => void;
  reject: (reason: unknown) => void;
  /** 0 queued, 1 in a worker, 2 settled or cancelled. */
  state: number;
  dispatchedAt: number;
}

interface PoolWorker {
  worker: Worker;
  inflight: TaskQueue<Task>;
  dead: boolean;
  crash: unknown;
  busySince: number;
  lastAnswerAt: number;
  idleSince: number;
  idleTimer: NodeJS.Timeout | undefined;
}

function toFileUrl(filename: string | URL): string {
  if (filename instanceof URL) return filename.href;
  if (filename.startsWith('file:')) return filename;
  return pathToFileURL(isAbsolute(filename) ? filename : resolve(filename)).href;
}

function rebuildError(data: { name?: string; message?: string; stack?: string; code?: unknown }) {
  if (!('message' in data)) return (data as { value: unknown }).value;
  const error = new Error(data.message) as Error & { code?: unknown };
  error.name = data.name ?? 'Error';
  if (data.stack !== undefined) error.stack = data.stack;
  if (data.code !== undefined) error.code = data.code;
  return error;
}

/** A count where `Infinity` means "unbounded" (documented for `maxQueue` and `concurrency`). */
function checkCountOrInfinity(name: string, value: unknown, min: number): void {
  if (value !== Number.POSITIVE_INFINITY) checkCount(name, value, min);
}

/**
 * A pool of worker threads running one task function (the default export of `filename`).
 *
 * @example
 * ```ts
 * const pool = new WorkerPool({ filename: new URL('./hash.mjs', import.meta.url) });
 * const digest = await pool.run(buffer, { transferList: [buffer.buffer] });
 * await pool.close();
 * ```
 */
export class WorkerPool<TArg = unknown, TResult = unknown> {
  /** The effective options, defaults applied. */
  readonly options: Readonly<Required<Omit<WorkerPoolOptions, 'filename'>>> & {
    /** The task module's absolute path (a `file:` URL given is converted). */
    readonly filename: string;
  };
  private readonly url: string;
  private readonly queue = new TaskQueue<Task>();
  private readonly workers: PoolWorker[] = [];
  private queued = 0;
  private running = 0;
  private completed = 0;
  private failed = 0;
  private busyTotal = 0;
  private readonly createdAt = performance.now();
  /** Moving average of task service time in ms; decides how deep to pipeline. */
  private serviceMs = 1;
  private depth = 2;
  private closing = false;
  private destroyed = false;
  private closed: Promise<void> | undefined;
  private onDrained: (() => void) | undefined;

  /**
   * Starts `minWorkers` workers; the others start as tasks arrive. Throws
   * `ERR_INVALID_ARGUMENT` for a bad option.
   */
  constructor(options: WorkerPoolOptions) {
    const opts: Readonly<Required<Omit<WorkerPoolOptions, 'filename'>>> & {
      filename: string | URL;
    } = withDefaults(WORKER_POOL_DEFAULTS, options, 'WorkerPool options');
    if (typeof opts.filename !== 'string' && !(opts.filename instanceof URL)) {
      throw new InvalidArgumentError('filename must be a path or a file URL of the task module');
    }
    checkCount('maxWorkers', opts.maxWorkers, 1);
    checkCount('minWorkers', opts.minWorkers, 0);
    checkCountOrInfinity('maxQueue', opts.maxQueue, 0);
    checkCount('pipeline', opts.pipeline, 1);
    if (opts.minWorkers > opts.maxWorkers) {
      throw new InvalidArgumentError(
        `minWorkers (${opts.minWorkers}) must not exceed maxWorkers (${opts.maxWorkers})`,
      );
    }
    checkMs('idleTimeout', opts.idleTimeout);
    this.url = toFileUrl(opts.filename);
    this.options = { ...opts, filename: fileURLToPath(this.url) };
    this.depth = Math.min(2, opts.pipeline);
    for (let i = 0; i < opts.minWorkers; i++) this.spawn();
  }

  /**
   * Runs the task function on `arg` in a worker. Resolves with its result; rejects with
   * `ERR_TASK_FAILED` (the task threw; `cause` is its error), `ERR_QUEUE_FULL`, `ERR_ABORTED`,
   * `ERR_WORKER_CRASHED` / `ERR_WORKER_EXITED`, `ERR_WORKER_INIT`, `ERR_POOL_CLOSED` or
   * `ERR_POOL_DESTROYED`.
   */
  run<R = TResult>(arg: TArg, options?: RunOptions): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.closing) return reject(new PoolClosedError(this.destroyed));
      const signal = options?.signal;
      checkSignal('signal', signal);
      if (signal?.aborted) return reject(new TaskAbortedError(false, signal.reason));
      const task: Task = {
        arg,
        transferList: options?.transferList,
        signal,
        onAbort: undefined,
        resolve: resolve as (value: never) => void,
        reject,
        state: 0,
        dispatchedAt: 0,
      };
      // Fast path: an idle (or spawnable) worker takes the task without queueing.
      if (this.queued === 0) {
        const worker = this.pick(task);
        if (worker !== undefined) {
          if (signal !== undefined) this.watch(task);
          this.dispatch(worker, task);
          return;
        }
      }
      if (this.queued >= this.options.maxQueue) {
        return reject(new QueueFullError(this.options.maxQueue));
      }
      if (signal !== undefined) this.watch(task);
      this.queue.push(task);
      this.queued++;
    });
  }

  /**
   * Runs the task on every item, at most `concurrency` at once (so a long input never fills
   * the queue), and resolves with the results in input order. Rejects with the first error.
   */
  map<R = TResult>(items: Iterable<TArg>, options?: MapOptions): Promise<R[]> {
    const { maxWorkers, pipeline, maxQueue } = this.options;
    const limit =
      options?.concurrency ?? Math.max(1, Math.min(maxQueue, maxWorkers * pipeline * 2));
    checkCountOrInfinity('concurrency', limit, 1);
    // One listener on the caller's signal: core's deadline (without a timeout) links it to
    // one signal that every task of the map listens to, so many tasks do not trip the
    // EventTarget max-listeners warning on the caller's signal.
    const outer = options?.signal;
    const link = outer === undefined ? undefined : createDeadline({ signal: outer });
    if (link !== undefined) setMaxListeners(limit + 1, link.signal);
    const runOptions = link === undefined ? undefined : { signal: link.signal };
    const finish = () => link?.dispose();
    return new Promise<R[]>((resolve, reject) => {
      const results: R[] = [];
      const iterator = items[Symbol.iterator]();
      let index = 0;
      let inFlight = 0;
      let done = false;
      let failed = false;
      const fail = (error: unknown) => {
        if (!failed) {
          failed = true;
          finish();
          reject(error);
        }
      };
      const next = (): void => {
        try {
          while (!failed && !done && inFlight < limit) {
            const item = iterator.next();
            if (item.done) {
              done = true;
              break;
            }
            const at = index++;
            inFlight++;
            this.run<R>(item.value, runOptions).then((value) => {
              results[at] = value;
              inFlight--;
              next();
            }, fail);
          }
        } catch (error) {
          fail(error);
        }
        if (done && inFlight === 0 && !failed) {
          finish();
          resolve(results);
        }
      };
      next();
    });
  }

  /** Current counters (cheap; no worker is asked). */
  stats(): WorkerPoolStats {
    const now = performance.now();
    let busy = this.busyTotal;
    for (const w of this.workers) if (w.inflight.length > 0) busy += now - w.busySince;
    const span = (now - this.createdAt) * this.options.maxWorkers;
    return {
      completed: this.completed,
      failed: this.failed,
      queued: this.queued,
      running: this.running,
      workers: this.workers.length,
      utilization: span > 0 ? Math.min(1, busy / span) : 0,
    };
  }

  /**
   * Graceful shutdown: new `run` calls reject with `ERR_POOL_CLOSED`, queued and running tasks
   * finish, then the workers exit. Resolves when they have.
   */
  close(): Promise<void> {
    if (this.closed !== undefined) return this.closed;
    this.closing = true;
    this.closed = new Promise<void>((resolve) => {
      this.onDrained = resolve;
      this.checkDrained();
    }).then(() => this.terminateAll());
    return this.closed;
  }

  /**
   * Immediate shutdown: queued and running tasks reject with `ERR_POOL_DESTROYED`, workers
   * are terminated. Resolves when they have exited.
   */
  destroy(): Promise<void> {
    if (this.destroyed) return this.closed ?? Promise.resolve();
    this.closing = true;
    this.destroyed = true;
    const error = new PoolClosedError(true);
    for (const task of this.queue.drain()) this.settle(task, false, error);
    this.queued = 0;
    for (const w of this.workers) {
      for (const task of w.inflight.drain()) this.settle(task, false, error);
    }
    this.running = 0;
    this.onDrained = undefined;
    this.closed = this.terminateAll();
    return this.closed;
  }

  private async terminateAll(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => this.retire(w)));
  }

  private retire(w: PoolWorker): Promise<unknown> {
    w.dead = true;
    if (w.idleTimer !== undefined) clearTimeout(w.idleTimer);
    if (w.inflight.length > 0) this.busyTotal += performance.now() - w.busySince;
    const index = this.workers.indexOf(w);
    if (index !== -1) this.workers.splice(index, 1);
    return w.worker.terminate();
  }

  private spawn(): PoolWorker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { url: this.url } });
    const w: PoolWorker = {
      worker,
      inflight: new TaskQueue<Task>(),
      dead: false,
      crash: undefined,
      busySince: 0,
      lastAnswerAt: 0,
      idleSince: performance.now(),
      idleTimer: undefined,
    };
    worker.on('message', (message: [number, unknown]) => this.answer(w, message));
    worker.on('error', (error) => {
      w.crash = error;
    });
    worker.on('exit', (code) => this.exited(w, code));
    worker.unref();
    this.workers.push(w);
    this.armIdleTimer(w);
    return w;
  }

  /** Chooses a worker for `task`: an idle one, a new one, or (short tasks) a shallow pipeline. */
  private pick(task: Task): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const w of this.workers) {
      if (w.inflight.length === 0) return w;
      if (best === undefined || w.inflight.length < best.inflight.length) best = w;
    }
    if (this.workers.length < this.options.maxWorkers) return this.spawn();
    if (task.signal === undefined && best !== undefined && best.inflight.length < this.depth) {
      return best;
    }
    return undefined;
  }

  private dispatch(w: PoolWorker, task: Task): void {
    const now = performance.now();
    if (w.inflight.length === 0) {
      w.busySince = now;
      w.worker.ref();
    }
    task.state = 1;
    task.dispatchedAt = now;
    w.inflight.push(task);
    this.running++;
    try {
      if (task.transferList === undefined) w.worker.postMessage(task.arg);
      else w.worker.postMessage(task.arg, task.transferList);
    } catch (error) {
      // The argument could not be cloned: nothing reached the worker, so take the task back.
      w.inflight.pop();
      this.running--;
      if (w.inflight.length === 0) this.becameIdle(w, performance.now());
      this.settle(task, false, new TaskFailedError(error));
    }
  }

  private pump(): void {
    while (this.queued > 0) {
      const task = this.queue.peek()!;
      if (task.state !== 0) {
        this.queue.shift();
        continue;
      }
      const w = this.pick(task);
      if (w === undefined) return;
      this.queue.shift();
      this.queued--;
      this.dispatch(w, task);
    }
  }

  private answer(w: PoolWorker, message: [number, unknown]): void {
    const task = w.inflight.shift();
    if (task === undefined || w.dead) return;
    this.running--;
    const now = performance.now();
    const started = Math.max(task.dispatchedAt, w.lastAnswerAt);
    w.lastAnswerAt = now;
    this.serviceMs = this.serviceMs * 0.9 + (now - started) * 0.1;
    const { pipeline } = this.options;
    this.depth = this.serviceMs < 1 ? pipeline : this.serviceMs < 20 ? Math.min(2, pipeline) : 1;
    const kind = message[0];
    if (kind === 0) this.settle(task, true, message[1]);
    else if (kind === 1) {
      this.settle(task, false, new TaskFailedError(rebuildError(message[1] as object)));
    } else {
      // The module did not load: every task sent to this worker fails the same way.
      const error = new WorkerInitError(this.options.filename, rebuildError(message[1] as object));
      this.settle(task, false, error);
      for (const t of w.inflight.drain()) {
        this.running--;
        this.settle(t, false, error);
      }
      for (const t of this.queue.drain()) if (t.state === 0) this.settle(t, false, error);
      this.queued = 0;
      void this.retire(w);
      this.checkDrained();
      return;
    }
    if (w.inflight.length === 0) this.becameIdle(w, now);
    if (this.queued > 0) this.pump();
    else if (this.closing) this.checkDrained();
  }

  private becameIdle(w: PoolWorker, now: number): void {
    this.busyTotal += now - w.busySince;
    w.idleSince = now;
    w.worker.unref();
    this.armIdleTimer(w);
  }

  private armIdleTimer(w: PoolWorker): void {
    if (w.idleTimer !== undefined || this.workers.length <= this.options.minWorkers) return;
    w.idleTimer = setTimeout(() => this.idleCheck(w), this.options.idleTimeout);
    w.idleTimer.unref();
  }

  private idleCheck(w: PoolWorker): void {
    w.idleTimer = undefined;
    if (w.dead || w.inflight.length > 0) return; // re-armed when it next goes idle
    const idleFor = performance.now() - w.idleSince;
    if (idleFor + 1 < this.options.idleTimeout) {
      w.idleTimer = setTimeout(() => this.idleCheck(w), this.options.idleTimeout - idleFor);
      w.idleTimer.unref();
    } else if (this.workers.length > this.options.minWorkers) {
      void this.retire(w);
    }
  }

  /** A worker died on its own: fail the task it was running, requeue the ones behind it. */
  private exited(w: PoolWorker, code: number): void {
    if (w.dead) return;
    void this.retire(w);
    const task = w.inflight.shift();
    if (task !== undefined) {
      this.running--;
      const error =
        w.crash !== undefined
          ? new WorkerCrashedError(w.crash)
          : new WorkerCrashedError(undefined, code);
      this.settle(task, false, error);
    }
    this.requeue(w);
    this.refill();
  }

  private requeue(w: PoolWorker): void {
    const rest = w.inflight.drain();
    for (let i = rest.length - 1; i >= 0; i--) {
      const t = rest[i]!;
      t.state = 0;
      this.running--;
      this.queue.unshift(t);
      this.queued++;
    }
  }

  /** After a worker was lost: keep `minWorkers` alive and give queued tasks a worker. */
  private refill(): void {
    if (this.closing && this.destroyed) return;
    while (this.workers.length < this.options.minWorkers) this.spawn();
    this.pump();
    this.checkDrained();
  }

  // Per task, not core's createDeadline: run() is the pool's hot path and a task has no
  // timeout to join, so one listener on the caller's signal is all it needs.
  private watch(task: Task): void {
    const signal = task.signal!;
    task.onAbort = () => {
      if (task.state === 0) {
        task.state = 2;
        this.queued--;
        this.settle(task, false, new TaskAbortedError(false, signal.reason));
        this.checkDrained();
        return;
      }
      if (task.state !== 1) return;
      // Tasks with a signal start only on an idle worker, so a running one heads its inflight.
      const w = this.workers.find((candidate) => candidate.inflight.peek() === task);
      if (w === undefined) return;
      // The task is running: the only way to stop JavaScript in a thread is to end the thread.
      w.inflight.shift();
      this.running--;
      void this.retire(w);
      this.settle(task, false, new TaskAbortedError(true, signal.reason));
      this.requeue(w);
      this.refill();
    };
    signal.addEventListener('abort', task.onAbort, { once: true });
  }

  private settle(task: Task, ok: boolean, value: unknown): void {
    task.state = 2;
    if (task.onAbort !== undefined) {
      task.signal!.removeEventListener('abort', task.onAbort);
      task.onAbort = undefined;
    }
    if (ok) {
      this.completed++;
      task.resolve(value as never);
    } else {
      this.failed++;
      task.reject(value);
    }
  }

  private checkDrained(): void {
    if (this.onDrained !== undefined && this.queued === 0 && this.running === 0) {
      const done = this.onDrained;
      this.onDrained = undefined;
      done();
    }
  }
}
