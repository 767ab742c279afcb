/**
 * `EventLoop`: the recipe's `event_loop(handlers)` driven by Node's own loop. Instead of
 * `select()`, it listens to each handler's socket and maps readiness onto Node's primitives:
 * not wanting to receive pauses a TCP socket, wanting to send waits for `'drain'`.
 */
import { Socket as DgramSocket } from 'node:dgram';
import { Server, Socket } from 'node:net';
import { MessagePort } from 'node:worker_threads';
import { checkCount, checkOptionalFunction, withDefaults } from '@net/core';
import { HandlerError, type HandlerPhase, InvalidArgumentError } from './errors.js';
import type { EventHandler, HandlerSocket } from './event-handler.js';
import { TaskQueue } from './task-queue.js';

/** Options of {@link EventLoop}. Defaults in {@link EVENT_LOOP_DEFAULTS}. */
export interface EventLoopOptions {
  /**
   * Called with each {@link HandlerError}: a handler that threw or whose socket failed (it has
   * been removed and its socket closed), or a callback a handler ran that threw. Default:
   * `process.emitWarning(error)`.
   */
  onError?: (error: HandlerError) => void;
  /**
   * Datagrams, connections or messages held per handler while it does not want to receive
   * (they cannot be paused at the source). Beyond it, datagrams and messages are dropped (as
   * a full kernel buffer would) and connections are closed; see {@link EventLoop.stats}.
   */
  maxPending?: number;
}

/** Defaults of {@link EventLoopOptions}. */
export const EVENT_LOOP_DEFAULTS = {
  /** 1024 events held per handler. */
  maxPending: 1024,
} as const satisfies Required<Omit<EventLoopOptions, 'onError'>>;

/** Counters returned by {@link EventLoop.stats}. */
export interface EventLoopStats {
  /** Registered handlers. */
  handlers: number;
  /** Events held because their handler did not want to receive. */
  pending: number;
  /** Datagrams, messages and connections dropped because `maxPending` was reached. */
  dropped: number;
  /** Handlers removed because they threw or their socket failed. */
  failed: number;
}

/** The kind of socket a handler owns, decided once when it is added. */
const Kind = { Tcp: 0, Udp: 1, Server: 2, Port: 3 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface Entry {
  handler: EventHandler;
  kind: Kind;
  pending: TaskQueue<unknown[]>;
  receiving: boolean;
  sendDue: boolean;
  removed: boolean;
  listeners: [string, (...args: never[]) => void][];
}

const EMPTY = Buffer.alloc(0);
const ignore = (): void => undefined;

function kindOf(socket: HandlerSocket): Kind {
  if (socket instanceof Socket) return Kind.Tcp;
  if (socket instanceof DgramSocket) return Kind.Udp;
  if (socket instanceof Server) return Kind.Server;
  if (socket instanceof MessagePort) return Kind.Port;
  throw new InvalidArgumentError(
    'handler.socket must be a net.Socket, dgram.Socket, net.Server or MessagePort',
  );
}

/**
 * Runs {@link EventHandler}s on Node's event loop (the recipe's `event_loop`). Handlers may
 * add and remove handlers from inside their callbacks.
 *
 * @example
 * ```ts
 * const loop = new EventLoop({ onError: (err) => console.error(err.code, err.message) });
 * await createUdpEchoServer(loop, { port: 20000 });
 * ```
 */
export class EventLoop {
  private readonly entries = new Map<EventHandler, Entry>();
  private readonly onError: (error: HandlerError) => void;
  private readonly maxPending: number;
  private readonly due = new Set<Entry>();
  private turnScheduled = false;
  private sweepDue = false;
  private dropped = 0;
  private failed = 0;

  /** Throws `ERR_INVALID_ARGUMENT` for a bad option. */
  constructor(options: EventLoopOptions = {}) {
    const opts = withDefaults(EVENT_LOOP_DEFAULTS, options, 'EventLoop options');
    checkCount('maxPending', opts.maxPending);
    checkOptionalFunction('onError', options.onError);
    this.maxPending = opts.maxPending;
    this.onError = options.onError ?? ((error) => process.emitWarning(error));
  }

  /** Registers a handler and starts watching its socket. Adding a registered handler is a no-op. */
  add(handler: EventHandler): this {
    if (this.entries.has(handler)) return this;
    const socket = handler.socket;
    const kind = kindOf(socket);
    const entry: Entry = {
      handler,
      kind,
      pending: new TaskQueue(),
      receiving: false,
      sendDue: false,
      removed: false,
      listeners: [],
    };
    this.entries.set(handler, entry);
    const on = (event: string, listener: (...args: never[]) => void): void => {
      entry.listeners.push([event, listener]);
      (socket as NodeJS.EventEmitter).on(event, listener as (...args: unknown[]) => void);
    };
    // A permanent no-op listener: a late error after removal must never crash the process.
    if (kind !== Kind.Port) (socket as NodeJS.EventEmitter).on('error', ignore);
    on('close', () => this.closed(entry));
    if (kind === Kind.Tcp) {
      on('data', (chunk: Buffer) => this.deliver(entry, [chunk]));
      on('end', () => this.deliver(entry, [EMPTY]));
      on('drain', () => this.refreshEntry(entry));
      on('error', (error: Error) => this.fail(entry, 'socket', error));
    } else if (kind === Kind.Udp) {
      on('message', (datagram: Buffer, rinfo: unknown) => this.deliver(entry, [datagram, rinfo]));
      on('error', (error: Error) => this.fail(entry, 'socket', error));
    } else if (kind === Kind.Server) {
      on('connection', (client: Socket) => {
        client.on('error', ignore);
        client.pause();
        this.deliver(entry, [client]);
      });
      on('error', (error: Error) => this.fail(entry, 'socket', error));
    } else {
      on('message', (message: unknown) => this.deliver(entry, [message]));
      on('messageerror', (error: Error) => this.fail(entry, 'socket', error));
    }
    this.refreshEntry(entry);
    return this;
  }

  /**
   * Unregisters a handler without closing its socket (a TCP socket is left paused; the caller
   * owns it again). Events held for it are discarded (held connections are closed).
   * Returns whether it was registered.
   */
  remove(handler: EventHandler): boolean {
    const entry = this.entries.get(handler);
    if (entry === undefined) return false;
    this.detach(entry);
    if (entry.kind === Kind.Tcp) (handler.socket as Socket).pause();
    return true;
  }

  /** Whether `handler` is registered. */
  has(handler: EventHandler): boolean {
    return this.entries.has(handler);
  }

  /** The registered handlers, in registration order. */
  handlers(): EventHandler[] {
    return [...this.entries.keys()];
  }

  /**
   * Asks a handler (or every handler) for its readiness now. Needed only when a handler's
   * state changes outside any loop callback (a timer, a promise); the loop asks after each
   * of its own callbacks anyway.
   */
  refresh(handler?: EventHandler): void {
    if (handler === undefined) {
      for (const entry of this.entries.values()) this.refreshEntry(entry);
      return;
    }
    const entry = this.entries.get(handler);
    if (entry !== undefined) this.refreshEntry(entry);
  }

  /**
   * Reports an error thrown by a callback that `handler` ran on someone else's behalf (so the
   * handler itself stays registered) to the loop's `onError`, as `ERR_HANDLER_CALLBACK`.
   */
  reportError(error: unknown, handler: EventHandler): void {
    this.report(new HandlerError(handler, 'callback', error));
  }

  /** Counters. */
  stats(): EventLoopStats {
    let pending = 0;
    for (const entry of this.entries.values()) pending += entry.pending.length;
    return { handlers: this.entries.size, pending, dropped: this.dropped, failed: this.failed };
  }

  /** Removes every handler and closes its socket; resolves when the sockets have closed. */
  async close(): Promise<void> {
    const entries = [...this.entries.values()];
    for (const entry of entries) this.detach(entry);
    await Promise.all(entries.map((entry) => closeSocket(entry.handler.socket, entry.kind)));
  }

  private deliver(entry: Entry, args: unknown[]): void {
    if (entry.removed) return;
    if (entry.receiving && entry.pending.length === 0) {
      this.call(entry, 'handleReceive', args);
      return;
    }
    // TCP sources are paused instead, so only a chunk already read can land here: keep it.
    if (entry.kind === Kind.Tcp || entry.pending.length < this.maxPending) {
      entry.pending.push(args);
      return;
    }
    this.dropped++;
    if (entry.kind === Kind.Server) (args[0] as Socket).destroy();
  }

  private call(entry: Entry, phase: 'handleReceive' | 'handleSend', args: unknown[]): void {
    const handler = entry.handler as unknown as Record<string, (...a: unknown[]) => void>;
    try {
      handler[phase]!(...args);
    } catch (error) {
      this.fail(entry, phase, error);
      return;
    }
    this.refreshEntry(entry);
    this.sweepDue = true;
    this.scheduleTurn();
  }

  /** Asks the handler what it wants and maps the answers onto its socket. */
  private refreshEntry(entry: Entry): void {
    if (entry.removed) return;
    const { handler } = entry;
    let receive: boolean;
    let send: boolean;
    try {
      receive = handler.wantsToReceive();
    } catch (error) {
      this.fail(entry, 'wantsToReceive', error);
      return;
    }
    try {
      send = entry.kind !== Kind.Server && handler.wantsToSend();
    } catch (error) {
      this.fail(entry, 'wantsToSend', error);
      return;
    }
    entry.receiving = receive;
    if (entry.kind === Kind.Tcp) {
      const socket = handler.socket as Socket;
      if (receive && entry.pending.length === 0) socket.resume();
      else socket.pause();
    }
    if (receive && entry.pending.length > 0) this.makeDue(entry);
    if (send && canSend(entry)) {
      entry.sendDue = true;
      this.makeDue(entry);
    }
  }

  private makeDue(entry: Entry): void {
    this.due.add(entry);
    this.scheduleTurn();
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => this.turn());
  }

  /** One iteration of the recipe's loop: run what is due, then re-ask every handler. */
  private turn(): void {
    this.turnScheduled = false;
    const due = [...this.due];
    this.due.clear();
    for (const entry of due) {
      if (entry.sendDue) {
        entry.sendDue = false;
        if (!entry.removed && canSend(entry)) this.call(entry, 'handleSend', []);
      }
      while (!entry.removed && entry.receiving && entry.pending.length > 0) {
        this.call(entry, 'handleReceive', entry.pending.shift()!);
      }
      if (!entry.removed && entry.kind === Kind.Tcp) this.refreshEntry(entry);
    }
    if (this.sweepDue) {
      this.sweepDue = false;
      for (const entry of this.entries.values()) this.refreshEntry(entry);
    }
  }

  private fail(entry: Entry, phase: HandlerPhase, error: unknown): void {
    if (entry.removed) return;
    this.failed++;
    this.detach(entry);
    void closeSocket(entry.handler.socket, entry.kind);
    this.report(new HandlerError(entry.handler, phase, error));
  }

  private closed(entry: Entry): void {
    if (entry.removed) return;
    this.detach(entry);
    try {
      entry.handler.handleClose();
    } catch (error) {
      this.failed++;
      this.report(new HandlerError(entry.handler, 'handleClose', error));
    }
  }

  private detach(entry: Entry): void {
    entry.removed = true;
    this.entries.delete(entry.handler);
    this.due.delete(entry);
    const socket = entry.handler.socket as NodeJS.EventEmitter;
    for (const [event, listener] of entry.listeners) {
      socket.off(event, listener as (...args: unknown[]) => void);
    }
    entry.listeners.length = 0;
    for (const args of entry.pending.drain()) {
      if (entry.kind === Kind.Server) (args[0] as Socket).destroy();
    }
  }

  private report(error: HandlerError): void {
    try {
      this.onError(error);
    } catch (hookError) {
      process.emitWarning(`EventLoop onError hook threw: ${String(hookError)}`);
    }
  }
}

function canSend(entry: Entry): boolean {
  if (entry.kind !== Kind.Tcp) return entry.kind !== Kind.Server;
  const socket = entry.handler.socket as Socket;
  return !socket.destroyed && socket.writable && !socket.writableNeedDrain;
}

/** Closes any handler socket; resolves once it has closed (never rejects). */
function closeSocket(socket: HandlerSocket, kind: Kind): Promise<void> {
  return new Promise((resolve) => {
    try {
      if (kind === Kind.Tcp) {
        const tcp = socket as Socket;
        if (tcp.closed) return resolve();
        tcp.once('close', () => resolve());
        tcp.destroy();
      } else if (kind === Kind.Udp) {
        (socket as DgramSocket).close(() => resolve());
      } else if (kind === Kind.Server) {
        const server = socket as Server;
        if (!server.listening) return resolve();
        server.close(() => resolve());
      } else {
        (socket as MessagePort).once('close', () => resolve());
        (socket as MessagePort).close();
      }
    } catch {
      resolve(); // already closed
    }
  });
}
