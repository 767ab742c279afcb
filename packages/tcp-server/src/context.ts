/**
 * The per-connection state of the lifecycle, and the {@link ConnectionContext} view of it
 * that handlers get: one abort signal, the end of the first phase, and (for TLS) the
 * wrapped socket that traffic flows through from then on.
 */
import type { Socket } from 'node:net';
import type { Connection } from './connection.js';

/** What a socket handler (see {@link createSocketServer}) gets besides the socket. */
export interface ConnectionContext {
  /**
   * Aborted when the connection closes (`ERR_CONNECTION_CLOSED`), makes no progress for
   * `idleTimeout` (`ERR_IDLE_TIMEOUT`), misses its `handshakeTimeout`
   * (`ERR_HANDSHAKE_TIMEOUT`), or the server shuts down (`ERR_SERVER_CLOSING`). Pass it
   * to reads and other work that should stop then.
   */
  readonly signal: AbortSignal;
  /** The peer's IP address (`undefined` for Unix domain sockets). */
  readonly remoteAddress: string | undefined;
  /** The peer's port (`undefined` for Unix domain sockets). */
  readonly remotePort: number | undefined;
  /** `'IPv4'` or `'IPv6'` (`undefined` for Unix domain sockets). */
  readonly remoteFamily: string | undefined;
  /** True once {@link ConnectionContext.markEstablished} was called. */
  readonly established: boolean;
  /**
   * Ends the connection's first phase (handshake, authentication, header): the
   * `handshakeTimeout` clock stops; `idleTimeout` goes on. Later calls do nothing.
   */
  markEstablished(): void;
  /**
   * From now on the connection's traffic flows through `socket`, a stream wrapping the
   * accepted one (a `TLSSocket`): idle timing, ending and destroying apply to it.
   */
  useSocket(socket: Socket): void;
  /**
   * The {@link Connection} over the socket in use (after `useSocket()`, the wrapping one),
   * with the server's reader and write options: `readExactly`, `readLine`, iteration,
   * `write()` with backpressure. Made on the first call (reading starts then); later calls
   * return the same one. The server detaches it when the handler returns.
   */
  connection(): Connection;
}

/** @internal The lifecycle's record of one accepted connection. */
export class ConnectionState implements ConnectionContext {
  /** The accepted socket (bytes are counted on it). */
  readonly raw: Socket;
  /** The socket traffic flows through: `raw`, or a wrapper of it. */
  active: Socket;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: string | undefined;
  established = false;
  /** True while the handler runs. */
  running = false;
  /** The handler's Connection, once made; detached when the handler returns. */
  opened: Connection | undefined;
  /** Set while the handshake clock runs. */
  handshakeTimer: NodeJS.Timeout | undefined;
  /** How long the connection may go without progress (idleTimeout, or endTimeout once the handler is done); 0: forever. */
  quietLimit = 0;
  /** Bytes read + written on the socket in use, as of the last idle sweep. */
  progress = 0;
  /** Idle sweeps in a row that found `progress` unchanged. */
  quietSweeps = 0;
  /** Called when the connection leaves its first phase (clears the timer). */
  readonly #onEstablished: (state: ConnectionState) => void;
  /** Called by useSocket() so the lifecycle can move its listeners to the new socket. */
  readonly #onUseSocket: (state: ConnectionState) => void;
  readonly #open: (state: ConnectionState) => Connection;
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown = undefined;
  /** Builds the reason of an abort nobody has observed yet (see {@link abortLazily}). */
  #makeReason: (() => unknown) | undefined;

  constructor(
    raw: Socket,
    onEstablished: (state: ConnectionState) => void,
    onUseSocket: (state: ConnectionState) => void,
    open: (state: ConnectionState) => Connection,
  ) {
    this.raw = raw;
    this.active = raw;
    this.remoteAddress = raw.remoteAddress;
    this.remotePort = raw.remotePort;
    this.remoteFamily = raw.remoteFamily;
    this.#onEstablished = onEstablished;
    this.#onUseSocket = onUseSocket;
    this.#open = open;
  }

  connection(): Connection {
    this.opened ??= this.#open(this);
    return this.opened;
  }

  get signal(): AbortSignal {
    // Created on first use: most echo-style handlers never look at it.
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  /** Why the signal was aborted (`undefined` while it is not). */
  get reason(): unknown {
    if (this.#makeReason !== undefined) {
      this.#reason = this.#makeReason();
      this.#makeReason = undefined;
    }
    return this.#reason;
  }

  /** Whether the signal has been aborted (without creating it). */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Aborts the signal with `reason`, once. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  /**
   * Aborts like {@link abort}, but builds the reason only once the signal or the reason is
   * asked for: every connection ends with a close, and an error costs a stack trace.
   */
  abortLazily(makeReason: () => unknown): void {
    if (this.#aborted) return;
    if (this.#controller !== undefined) this.abort(makeReason());
    else {
      this.#aborted = true;
      this.#makeReason = makeReason;
    }
  }

  markEstablished(): void {
    if (this.established) return;
    this.established = true;
    this.#onEstablished(this);
  }

  useSocket(socket: Socket): void {
    if (socket === this.active) return;
    this.active = socket;
    this.#onUseSocket(this);
  }

  /** Destroys the connection: the socket in use and the accepted one under it. */
  destroy(): void {
    this.active.destroy();
    if (this.raw !== this.active) this.raw.destroy();
  }
}
