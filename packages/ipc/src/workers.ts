/**
 * The primary side of recipe 11.11: accept TCP connections in one process and pass each
 * socket to a worker process (`subprocess.send(message, socket)`, SCM_RIGHTS underneath),
 * replacing workers that die.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { checkBoolean, checkCount, checkMs, checkOptionalFunction, withDefaults } from '@net/core';
import { InvalidArgumentError, ListenError, WorkerStartError } from './errors.js';
import { isWorkerMessage, TAG, type WorkerMessage } from './worker-protocol.js';

/** Defaults of {@link SpawnWorkersOptions}. */
export const WORKERS_DEFAULTS = {
  /** How the primary picks a worker for a new connection. */
  strategy: 'round-robin' as 'round-robin' | 'least-busy',
  /** Replace a worker that exits while the pool is open. */
  restart: true,
  /** Ms before a replacement starts; doubles (up to 5 s) while workers die within 1 s of starting. */
  restartDelay: 100,
  /** Ms a worker has to call `serveWorker()` / `onSocket()` after it is started. */
  startTimeout: 10_000,
  /** Default `timeout` of `close()`: ms the workers get to finish their connections. */
  closeTimeout: 5_000,
  /** Kernel backlog of the primary's listening socket. */
  backlog: 511,
  /**
   * Connections open across the whole service (by the workers' reports, plus those passed
   * since and those waiting for a worker); over it a new socket is closed at once and
   * counted in `refused`. `0` = no limit.
   */
  maxConnections: 0,
  /**
   * Sockets that may wait (unread) while no worker is ready, e.g. while every worker
   * restarts; one more is closed at once and counted in `waitRefused`. `0` = none may wait.
   */
  maxWaiting: 256,
  /** Ms a socket may wait for a ready worker before it is closed (`waitTimeouts`); `0` = no limit. */
  waitTimeout: 10_000,
} as const satisfies Required<
  // Options without a default here: what to run and where, and the hook.
  Omit<
    SpawnWorkersOptions,
    | 'module'
    | 'count'
    | 'host'
    | 'port'
    | 'args'
    | 'execArgv'
    | 'env'
    | 'workerData'
    | 'onWorkerExit'
  >
>;

/** Options of {@link spawnWorkers}. */
export interface SpawnWorkersOptions {
  /** The worker module (path or `file:` URL); it calls `serveWorker(handler)` or `onSocket(fn)`. */
  module: string | URL;
  /** Number of workers. Default: `os.availableParallelism()`. */
  count?: number;
  /** Interface the primary binds (no host: every interface). */
  host?: string;
  /** TCP port (`0` picks a free one; read it from `pool.address.port`). */
  port: number;
  /** `'round-robin'` (default) or `'least-busy'` (fewest open connections, by the workers' reports). */
  strategy?: 'round-robin' | 'least-busy';
  /** Arguments passed to each worker (`process.argv.slice(2)`). */
  args?: readonly string[];
  /** Node options of each worker (default: the primary's `process.execArgv`). */
  execArgv?: readonly string[];
  /** Environment of each worker (default: `process.env`). Keep secrets out of it: see `workerData`. */
  env?: NodeJS.ProcessEnv;
  /**
   * A JSON value each worker reads with `getWorkerData()`, sent over the IPC channel on
   * the worker's request: never in argv or the environment (which other processes of the
   * same user can read in `/proc`, and which children inherit), so it is the place for a
   * worker's secrets. Bytes go as hex or base64. Default `null`.
   */
  workerData?: unknown;
  /** Replace workers that exit. Default `true`. */
  restart?: boolean;
  /** See {@link WORKERS_DEFAULTS}. */
  restartDelay?: number;
  /** See {@link WORKERS_DEFAULTS}. */
  startTimeout?: number;
  /** See {@link WORKERS_DEFAULTS}. */
  closeTimeout?: number;
  /** See {@link WORKERS_DEFAULTS}. */
  backlog?: number;
  /** Service-wide connection limit; see {@link WORKERS_DEFAULTS}. */
  maxConnections?: number;
  /** Bound of the queue of sockets waiting for a ready worker; see {@link WORKERS_DEFAULTS}. */
  maxWaiting?: number;
  /** Ms a socket may wait for a ready worker; see {@link WORKERS_DEFAULTS}. */
  waitTimeout?: number;
  /** Called when a worker exits while the pool is open (then it is replaced if `restart`). */
  onWorkerExit?: (info: WorkerExit) => void;
}

/** A worker that exited. */
export interface WorkerExit {
  /** Its process id. */
  pid: number;
  /** Its slot, 0 to count-1; its replacement (with `restart`) takes the same slot. */
  slot: number;
  /** Exit code, or `null` if a signal ended it (as the child process `'exit'` event). */
  code: number | null;
  /** The signal that ended it, or `null`. */
  signal: NodeJS.Signals | null;
  /** Connections it had been given. */
  connections: number;
}

/** What the primary knows about one worker process. */
export interface WorkerStats {
  /** The worker's process id. */
  pid: number;
  /** Its slot, 0 to count-1 (a replacement takes the slot of the worker it replaces). */
  slot: number;
  /** Connections passed to it. */
  connections: number;
  /** Of those, still open (by the worker's reports). */
  active: number;
  /** `true` once it called `serveWorker()` / `onSocket()` (it is then given connections). */
  ready: boolean;
  /** `false` once it exited. */
  alive: boolean;
}

/** Counters of a {@link WorkerPool}. */
export interface WorkerPoolStats {
  /** Connections the primary accepted (including those it closed at once). */
  accepted: number;
  /** Connections open across the service now: at the workers (by their reports), in transit, and waiting. */
  active: number;
  /** Sockets waiting (unread) for a ready worker now. */
  waiting: number;
  /** Sockets closed at once because `maxConnections` were open across the service. */
  refused: number;
  /** Sockets closed at once because `maxWaiting` sockets were already waiting for a worker. */
  waitRefused: number;
  /** Sockets closed after waiting `waitTimeout` ms for a ready worker. */
  waitTimeouts: number;
  /** Connections passed to a worker. */
  dispatched: number;
  /** Connections dropped because no worker could take them (pool closing, handle passing failed). */
  dropped: number;
  /** Workers started to replace one that exited. */
  restarts: number;
  /** The live workers, by slot. */
  workers: WorkerStats[];
  /** Every worker since the start, live and exited, in start order: which pid served what. */
  history: WorkerStats[];
}

interface Worker {
  child: ChildProcess;
  stats: WorkerStats;
  startedAt: number;
}

/** A socket waiting for a ready worker, and the timer that bounds its wait. */
interface Waiting {
  socket: Socket;
  timer: NodeJS.Timeout | undefined;
}

/** Options after defaults. */
type ResolvedWorkersOptions = SpawnWorkersOptions & {
  -readonly [K in keyof typeof WORKERS_DEFAULTS]: (typeof WORKERS_DEFAULTS)[K] extends boolean
    ? boolean
    : (typeof WORKERS_DEFAULTS)[K] extends number
      ? number
      : (typeof WORKERS_DEFAULTS)[K];
};

/**
 * The primary's pool: a listening socket whose connections are passed to worker processes.
 * Create it with {@link spawnWorkers}.
 */
export class WorkerPool {
  readonly #server: Server;
  readonly #options: ResolvedWorkersOptions;
  readonly #module: string;
  readonly #slots: (Worker | undefined)[];
  readonly #history: WorkerStats[] = [];
  readonly #waiting: Waiting[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #cursor = 0;
  #nextId = 0;
  #accepted = 0;
  #dispatched = 0;
  #dropped = 0;
  #restarts = 0;
  #refused = 0;
  #waitRefused = 0;
  #waitTimeouts = 0;
  #delay: number;
  #closing: Promise<void> | undefined;

  /** @internal use {@link spawnWorkers}. */
  constructor(options: ResolvedWorkersOptions, count: number) {
    this.#options = options;
    this.#module = options.module instanceof URL ? fileURLToPath(options.module) : options.module;
    this.#slots = new Array(count).fill(undefined);
    this.#delay = options.restartDelay;
    // The primary never reads: a byte read here would be lost when the handle moves.
    this.#server = createServer({ pauseOnConnect: true, noDelay: true });
    this.#server.on('connection', (socket) => this.#onConnection(socket));
    this.#server.on('error', () => undefined); // accept failures (EMFILE) do not stop the pool
  }

  /** The primary's TCP address (`port` after `port: 0`). */
  get address(): {
    /** The bound IP address. */
    address: string;
    /** `'IPv4'` or `'IPv6'`. */
    family: string;
    /** The bound port. */
    port: number;
  } {
    return this.#server.address() as { address: string; family: string; port: number };
  }

  /** The live workers' process ids, by slot (`undefined` while a slot is being refilled). */
  get pids(): (number | undefined)[] {
    return this.#slots.map((worker) => worker?.stats.pid);
  }

  /** Counters, per worker and in all. */
  stats(): WorkerPoolStats {
    return {
      accepted: this.#accepted,
      active: this.#open(),
      waiting: this.#waiting.length,
      refused: this.#refused,
      waitRefused: this.#waitRefused,
      waitTimeouts: this.#waitTimeouts,
      dispatched: this.#dispatched,
      dropped: this.#dropped,
      restarts: this.#restarts,
      workers: this.#slots.flatMap((worker) => (worker ? [{ ...worker.stats }] : [])),
      history: this.#history.map((stats) => ({ ...stats })),
    };
  }

  /** @internal starts every worker and listens; rejects (after cleaning up) if one fails. */
  async start(): Promise<void> {
    try {
      await Promise.all(this.#slots.map((_, slot) => this.#spawn(slot)));
      const { host, port } = this.#options;
      const listening = new Promise<void>((resolve, reject) => {
        this.#server.once('error', (error) =>
          reject(new ListenError(`${host ?? '*'}:${port}`, error)),
        );
        this.#server.once('listening', () => resolve());
      });
      this.#server.listen({
        host,
        port,
        backlog: this.#options.backlog,
      });
      await listening;
    } catch (error) {
      await this.close({ timeout: 0 });
      throw error;
    }
  }

  /**
   * Graceful shutdown: stops accepting, asks every worker to close its server (its
   * connections get `timeout` ms to finish) and disconnect, and kills the workers still
   * running after that. Resolves when every worker has exited. Calling it again returns the
   * same promise.
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    const timeout = options.timeout ?? this.#options.closeTimeout;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const { socket, timer } of this.#waiting.splice(0)) {
      clearTimeout(timer);
      this.#dropped++;
      socket.destroy();
    }
    const serverClosed = this.#server.listening
      ? once(this.#server, 'close').then(() => undefined)
      : Promise.resolve();
    this.#server.close();
    const exits = this.#slots.map((worker) => (worker ? this.#stop(worker, timeout) : undefined));
    this.#closing = Promise.all([serverClosed, ...exits]).then(() => undefined);
    return this.#closing;
  }

  async #stop(worker: Worker, timeout: number): Promise<void> {
    const { child } = worker;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    if (child.connected) {
      const message: WorkerMessage = { [TAG]: 'shutdown', timeout };
      child.send(message, undefined, {}, () => undefined);
    } else {
      child.kill('SIGTERM');
    }
    // The worker's server gets `timeout`, plus a moment to disconnect and exit.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout + 1_000);
    await exited;
    clearTimeout(timer);
  }

  #spawn(slot: number): Promise<void> {
    const options = this.#options;
    const child = fork(this.#module, [...(options.args ?? [])], {
      execArgv: [...(options.execArgv ?? process.execArgv)],
      env: options.env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    const stats: WorkerStats = {
      pid: child.pid ?? -1,
      slot,
      connections: 0,
      active: 0,
      ready: false,
      alive: true,
    };
    const worker: Worker = { child, stats, startedAt: Date.now() };
    this.#slots[slot] = worker;
    this.#history.push(stats);
    child.on('error', () => undefined); // spawn and IPC failures end in 'exit'
    return new Promise<void>((resolve, reject) => {
      const { startTimeout } = options;
      const timer = setTimeout(() => {
        reject(new WorkerStartError(this.#module, `not ready within ${startTimeout} ms`));
        child.kill('SIGKILL');
      }, startTimeout);
      child.on('message', (message: unknown) => {
        if (!isWorkerMessage(message)) return;
        if (message[TAG] === 'ready' && !worker.stats.ready) {
          clearTimeout(timer);
          worker.stats.ready = true;
          resolve();
          this.#flushWaiting();
        } else if (message[TAG] === 'done' && stats.active > 0) {
          stats.active--;
        } else if (message[TAG] === 'data?' && child.connected) {
          const reply: WorkerMessage = { [TAG]: 'data', data: options.workerData ?? null };
          child.send(reply, undefined, {}, () => undefined);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        stats.alive = false;
        stats.ready = false;
        stats.active = 0;
        if (!worker.stats.ready) {
          reject(
            new WorkerStartError(
              this.#module,
              `exited (code ${code}, signal ${signal}) before it was ready`,
            ),
          );
        }
        this.#onExit(worker, code, signal);
      });
    });
  }

  #onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const { slot } = worker.stats;
    if (this.#slots[slot] === worker) this.#slots[slot] = undefined;
    if (this.#closing) return;
    try {
      this.#options.onWorkerExit?.({
        pid: worker.stats.pid,
        slot,
        code,
        signal,
        connections: worker.stats.connections,
      });
    } catch {
      // a throwing hook must not stop the replacement
    }
    if (!this.#options.restart) return;
    // Back off while workers die right after starting (a crash loop), reset once one lives.
    const base = this.#options.restartDelay;
    this.#delay = Date.now() - worker.startedAt < 1_000 ? Math.min(this.#delay * 2, 5_000) : base;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#closing) return;
      this.#restarts++;
      this.#spawn(slot).catch(() => undefined); // a failed replacement exits and is retried
    }, this.#delay);
    this.#timers.add(timer);
  }

  #onConnection(socket: Socket): void {
    this.#accepted++;
    socket.on('error', () => undefined);
    if (this.#closing) {
      this.#dropped++;
      socket.destroy();
      return;
    }
    const { maxConnections } = this.#options;
    if (maxConnections > 0 && this.#open() >= maxConnections) {
      this.#refused++;
      socket.destroy();
      return;
    }
    this.#dispatch(socket, 2);
  }

  /** Connections open across the service: at or on their way to a worker, or waiting for one. */
  #open(): number {
    let open = this.#waiting.length;
    for (const worker of this.#slots) if (worker) open += worker.stats.active;
    return open;
  }

  /** No worker is ready: hold the socket (unread) for the next one, within maxWaiting and waitTimeout. */
  #wait(socket: Socket): void {
    const { maxWaiting, waitTimeout } = this.#options;
    if (this.#waiting.length >= maxWaiting) {
      this.#waitRefused++;
      socket.destroy();
      return;
    }
    const entry: Waiting = { socket, timer: undefined };
    if (waitTimeout > 0) {
      entry.timer = setTimeout(() => {
        const index = this.#waiting.indexOf(entry);
        if (index >= 0) this.#waiting.splice(index, 1);
        this.#waitTimeouts++;
        socket.destroy();
      }, waitTimeout);
    }
    this.#waiting.push(entry);
  }

  /** Passes `socket` to a worker; `attempts` more tries go to other workers if passing fails. */
  #dispatch(socket: Socket, attempts: number): void {
    const worker = this.#pick();
    if (worker === undefined) {
      this.#wait(socket); // every worker is restarting
      return;
    }
    const id = this.#nextId++;
    const message: WorkerMessage = { [TAG]: 'socket', id };
    worker.stats.connections++;
    worker.stats.active++;
    worker.child.send(message, socket, { keepOpen: false }, (error) => {
      if (!error) {
        this.#dispatched++;
        return;
      }
      worker.stats.connections--;
      worker.stats.active = Math.max(0, worker.stats.active - 1);
      if (attempts > 0 && !socket.destroyed && !this.#closing) this.#dispatch(socket, attempts - 1);
      else {
        this.#dropped++;
        socket.destroy();
      }
    });
  }

  #pick(): Worker | undefined {
    const ready = (worker: Worker | undefined): worker is Worker =>
      worker?.stats.ready === true && worker.child.connected;
    const count = this.#slots.length;
    if (this.#options.strategy === 'least-busy') {
      let best: Worker | undefined;
      for (let i = 0; i < count; i++) {
        const worker = this.#slots[(this.#cursor + i) % count];
        if (ready(worker) && (best === undefined || worker.stats.active < best.stats.active))
          best = worker;
      }
      if (best) this.#cursor = (best.stats.slot + 1) % count;
      return best;
    }
    for (let i = 0; i < count; i++) {
      const worker = this.#slots[this.#cursor];
      this.#cursor = (this.#cursor + 1) % count;
      if (ready(worker)) return worker;
    }
    return undefined;
  }

  #flushWaiting(): void {
    for (const { socket, timer } of this.#waiting.splice(0)) {
      clearTimeout(timer);
      if (socket.destroyed) this.#dropped++;
      else this.#dispatch(socket, 2);
    }
  }
}

/** The IPC channel carries JSON: a value that does not survive `JSON.stringify` is refused up front. */
function checkJson(name: string, value: unknown): void {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new InvalidArgumentError(`${name} must be JSON-serializable: ${String(error)}`);
  }
  if (value !== undefined && text === undefined) {
    throw new InvalidArgumentError(`${name} must be a JSON value, got ${typeof value}`);
  }
}

/**
 * Starts `count` worker processes running `module` (each calls `serveWorker(handler)` or
 * `onSocket(fn)`), waits until they are ready, then listens on `{ host, port }` and passes
 * every accepted socket to a worker. A worker that exits is replaced; connections on the
 * others go on. Rejects with `ERR_WORKER_START`, `ERR_LISTEN` or `ERR_INVALID_ARGUMENT`.
 */
export async function spawnWorkers(options: SpawnWorkersOptions): Promise<WorkerPool> {
  if (typeof options !== 'object' || options === null || !options.module) {
    throw new InvalidArgumentError('spawnWorkers() needs { module, port }');
  }
  const resolved = withDefaults(WORKERS_DEFAULTS, options) as ResolvedWorkersOptions;
  const count = resolved.count ?? availableParallelism();
  checkCount('count', count, 1);
  const { port } = resolved;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`port must be an integer from 0 to 65535, got ${port}`);
  }
  const { strategy } = resolved;
  if (strategy !== 'round-robin' && strategy !== 'least-busy') {
    throw new InvalidArgumentError(
      `strategy must be 'round-robin' or 'least-busy', got ${strategy}`,
    );
  }
  checkBoolean('restart', resolved.restart);
  checkMs('restartDelay', resolved.restartDelay);
  checkMs('startTimeout', resolved.startTimeout);
  checkMs('closeTimeout', resolved.closeTimeout);
  checkCount('backlog', resolved.backlog, 1);
  checkCount('maxConnections', resolved.maxConnections);
  checkCount('maxWaiting', resolved.maxWaiting);
  checkMs('waitTimeout', resolved.waitTimeout);
  checkOptionalFunction('onWorkerExit', resolved.onWorkerExit);
  checkJson('workerData', resolved.workerData);
  const pool = new WorkerPool(resolved, count);
  await pool.start();
  return pool;
}
