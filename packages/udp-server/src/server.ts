/**
 * `createUdpServer`: the recipe's `socketserver.UDPServer` as a handler-per-datagram
 * server with `reply()`, a bound on handlers in flight, error reporting and counters.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { checkBoolean, checkCount, checkOptionalFunction, withDefaults } from '@net/core';
import { type AddressFamily, checkPort, resolveHost } from './address.js';
import {
  AlreadyBoundError,
  BindError,
  HandlerError,
  InvalidArgumentError,
  SendError,
  ServerClosedError,
} from './errors.js';
import { type Payload, quietRejection, toDatagram } from './payload.js';
import { checkSocketOptions, openSocket, type SocketOptions } from './socket.js';

/** One received datagram, handed to the server's handler. */
export interface UdpMessage {
  /** The payload (a Node `Buffer`, which is a `Uint8Array`); 0 to 65,527 bytes. */
  readonly data: Uint8Array;
  /** The sender's address (`'127.0.0.1'`, `'::1'`, `'::ffff:10.0.0.2'` on a dual-stack socket). */
  readonly address: string;
  /** The sender's port. */
  readonly port: number;
  /** The sender's address family. */
  readonly family: AddressFamily;
  /**
   * Sends `data` (bytes, or a string as UTF-8) back to the sender from the server's socket.
   * Resolves once the datagram is handed to the kernel; rejects with
   * `ERR_DATAGRAM_TOO_LARGE`, `ERR_SEND_FAILED` or `ERR_SERVER_STATE` (the server is closed). Failures are also
   * reported through `onError` and counted, so a reply that is not awaited is safe.
   */
  reply(data: Payload): Promise<void>;
  /**
   * Fire-and-forget reply: hands `data` to the socket without creating a promise, the
   * cheapest way to answer. Send failures go to `onError` and `stats().replyErrors`.
   * Returns `false` (nothing sent) when the server is closed.
   *
   * @throws {@link DatagramTooLargeError} (`ERR_DATAGRAM_TOO_LARGE`) synchronously
   */
  send(data: Payload): boolean;
}

/**
 * Serves one datagram. May be async (in flight until its promise settles; a handler that
 * returns its `msg.reply()` promise is done on return). A throw or rejection is reported,
 * never fatal.
 */
export type UdpHandler = (msg: UdpMessage) => unknown;

/** Where an error reported to `onError` happened. */
export interface UdpErrorContext {
  /** `'handler'`: the handler threw; `'reply'`: a reply failed; `'socket'`: the socket failed. */
  phase: 'handler' | 'reply' | 'socket';
  /** The peer involved, when there is one. */
  address?: string;
  /** The peer's port, when there is one. */
  port?: number;
}

/** Options of {@link createUdpServer}. */
export interface UdpServerOptions extends SocketOptions {
  /**
   * Most handlers running at once (counting async handlers until they settle). Datagrams
   * arriving at the bound are dropped and counted in `stats().dropped`.
   */
  maxInFlight?: number;
  /** Lets several sockets bind the same address and port (SO_REUSEADDR). */
  reuseAddr?: boolean;
  /** On an IPv6 address, refuse IPv4 peers (no dual stack). */
  ipv6Only?: boolean;
  /**
   * Called with every failure: {@link HandlerError} (`cause` is what the handler threw),
   * failed replies, socket errors. Without it, the first failure is emitted as a process
   * warning and all are counted in `stats()`.
   */
  onError?: (error: Error, context: UdpErrorContext) => void;
}

/** Defaults of {@link UdpServerOptions}. */
export const UDP_SERVER_DEFAULTS = {
  /** 1024 handlers at once. */
  maxInFlight: 1024,
  /** No SO_REUSEADDR. */
  reuseAddr: false,
  /** Dual stack on an IPv6 address. */
  ipv6Only: false,
} as const satisfies Required<Omit<UdpServerOptions, 'onError' | keyof SocketOptions>>;

/** Options of {@link UdpServer.bind}. */
export interface UdpBindOptions {
  /** Address or host name to bind; `'::'` binds all IPv6 and (dual stack) IPv4 addresses. */
  host?: string;
  /** Port to bind; 0 picks a free one (read it from the result). */
  port?: number;
}

/** Defaults of {@link UdpBindOptions}: all IPv4 interfaces, as the recipe's `('', 20000)`. */
export const UDP_BIND_DEFAULTS = {
  /** Every IPv4 interface. */
  host: '0.0.0.0',
  /** Any free port (read it from `server.address()`). */
  port: 0,
} as const satisfies Required<UdpBindOptions>;

/** The address a server is bound to. */
export interface UdpBoundAddress {
  /** The bound port (the one picked, after `port: 0`). */
  port: number;
  /** The bound IP address. */
  address: string;
  /** `'IPv4'` or `'IPv6'`. */
  family: AddressFamily;
}

/** Counters of a server since it was created. */
export interface UdpServerStats {
  /** Datagrams received from the socket (kernel drops before that are not visible). */
  received: number;
  /** Replies handed to the kernel. */
  replied: number;
  /** Datagrams dropped because `maxInFlight` handlers were running (or the server was closing). */
  dropped: number;
  /** Handlers that threw or rejected. */
  handlerErrors: number;
  /** Replies that failed: too large, refused by the OS, or after close. */
  replyErrors: number;
  /** Payload bytes received. */
  bytesIn: number;
  /** Payload bytes replied. */
  bytesOut: number;
  /** Handlers running now. */
  inFlight: number;
}

/** A UDP server: bind it, let the handler answer datagrams, close it. */
export interface UdpServer {
  /**
   * Binds the socket; resolves with the bound address. Rejects with `ERR_LISTEN`
   * ({@link BindError}, a `ListenError`) when the OS refuses, `ERR_SERVER_STATE` when the
   * server is bound already or closed.
   */
  bind(options?: UdpBindOptions): Promise<UdpBoundAddress>;
  /**
   * Stops receiving and closes the socket. Handlers still running finish; their replies
   * reject with `ERR_SERVER_STATE` ({@link ServerClosedError}). Idempotent.
   */
  close(): Promise<void>;
  /** A snapshot of the counters. */
  stats(): UdpServerStats;
  /** The bound address, or `null` before `bind()` resolves and after `close()`. */
  address(): UdpBoundAddress | null;
}

const reported = new WeakSet<object>();

// `new Promise(capture)` hands out the resolving functions without allocating an
// executor closure per reply.
let capturedResolve: () => void = () => undefined;
let capturedReject: (error: unknown) => void = () => undefined;
function capture(resolve: () => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}
const ignore = (): void => undefined;

// Fields are `declare`d and assigned in the constructor: one allocation with a stable
// shape, without the define-then-assign that class field declarations compile to.
class Message implements UdpMessage {
  readonly #server: Server;
  declare readonly data: Uint8Array;
  declare readonly address: string;
  declare readonly port: number;
  declare readonly family: AddressFamily;

  constructor(server: Server, data: Uint8Array, rinfo: RemoteInfo) {
    this.#server = server;
    this.data = data;
    this.address = rinfo.address;
    this.port = rinfo.port;
    this.family = rinfo.family as AddressFamily;
  }

  reply(data: Payload): Promise<void> {
    return this.#server.sendTo(this, data);
  }

  send(data: Payload): boolean {
    return this.#server.sendNow(this, data);
  }
}

class Server implements UdpServer {
  readonly #handler: UdpHandler;
  readonly #options: UdpServerOptions;
  readonly #maxInFlight: number;
  readonly #onError: ((error: Error, context: UdpErrorContext) => void) | undefined;
  #warned = false;
  #socket: Socket | null = null;
  #bound: UdpBoundAddress | null = null;
  #state: 'new' | 'binding' | 'bound' | 'closed' = 'new';
  #closing: Promise<void> | null = null;
  #received = 0;
  #replied = 0;
  #dropped = 0;
  #handlerErrors = 0;
  #replyErrors = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  #inFlight = 0;
  /** The newest reply promise, to recognise a handler that returns it. */
  #lastReply: Promise<void> | undefined = undefined;

  constructor(handler: UdpHandler, options: UdpServerOptions) {
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError('createUdpServer needs a handler function (msg) => ...');
    }
    const settings = withDefaults(UDP_SERVER_DEFAULTS, options);
    checkCount('maxInFlight', settings.maxInFlight, 1);
    checkBoolean('reuseAddr', settings.reuseAddr);
    checkBoolean('ipv6Only', settings.ipv6Only);
    checkOptionalFunction('onError', options.onError);
    checkSocketOptions(settings);
    this.#handler = handler;
    this.#options = settings;
    this.#maxInFlight = settings.maxInFlight;
    this.#onError = options.onError;
  }

  async bind(options: UdpBindOptions = {}): Promise<UdpBoundAddress> {
    if (this.#state === 'closed') throw new ServerClosedError('bind');
    if (this.#state !== 'new') throw new AlreadyBoundError();
    const { host, port } = withDefaults(UDP_BIND_DEFAULTS, options, 'bind options');
    checkPort(port, 0);
    this.#state = 'binding';
    let socket: Socket | undefined;
    try {
      const { address, family } = await resolveHost(host);
      socket = openSocket(family, this.#options);
      const bindingSocket = socket;
      await new Promise<void>((resolve, reject) => {
        bindingSocket.once('error', reject);
        bindingSocket.bind({ port, address }, () => {
          bindingSocket.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      if (socket !== undefined) {
        socket.on('error', () => undefined); // nothing may escape a socket being discarded
        socket.close();
      }
      if (this.#state === 'binding') this.#state = 'new';
      throw error instanceof InvalidArgumentError ? error : new BindError(host, port, error);
    }
    if (this.#state !== 'binding') {
      socket.close(); // close() was called while binding
      throw new ServerClosedError('bind');
    }
    socket.on('error', (error) => this.#report(error, { phase: 'socket' }));
    socket.on('message', this.#onMessage);
    const info = socket.address();
    this.#socket = socket;
    this.#state = 'bound';
    this.#bound = { port: info.port, address: info.address, family: info.family as AddressFamily };
    return { ...this.#bound };
  }

  // The hot path: no allocation beyond the message object, no promise unless the
  // handler returns one.
  readonly #onMessage = (data: Buffer, rinfo: RemoteInfo): void => {
    this.#received++;
    this.#bytesIn += data.byteLength;
    if (this.#inFlight >= this.#maxInFlight || this.#state !== 'bound') {
      this.#dropped++;
      return;
    }
    const msg = new Message(this, data, rinfo);
    this.#inFlight++;
    let result: unknown;
    try {
      result = this.#handler(msg);
    } catch (error) {
      this.#inFlight--;
      this.#handlerFailed(error, msg);
      return;
    }
    if (result === this.#lastReply && result !== undefined) {
      // `(msg) => msg.reply(...)`: the handler is done, and the reply's failures are
      // reported by sendTo, so no promise reaction is needed.
      this.#inFlight--;
    } else if (
      result !== null &&
      typeof result === 'object' &&
      typeof (result as PromiseLike<unknown>).then === 'function'
    ) {
      (result as PromiseLike<unknown>).then(this.#settled, (error: unknown) => {
        this.#inFlight--;
        this.#handlerFailed(error, msg);
      });
    } else {
      this.#inFlight--;
    }
  };

  readonly #settled = (): void => {
    this.#inFlight--;
  };

  #handlerFailed(error: unknown, msg: Message): void {
    this.#handlerErrors++;
    // A failed reply the handler awaited and rethrew was reported already.
    if (typeof error === 'object' && error !== null && reported.has(error)) return;
    this.#report(new HandlerError(msg.address, msg.port, error), {
      phase: 'handler',
      address: msg.address,
      port: msg.port,
    });
  }

  /** Sends one datagram from the server's socket; used by {@link UdpMessage.reply}. */
  sendTo(msg: Message, data: Payload): Promise<void> {
    const { address, port } = msg;
    const socket = this.#socket;
    if (socket === null || this.#state !== 'bound') {
      this.#replyErrors++;
      const closed = new ServerClosedError();
      reported.add(closed); // expected after close(): a handler rethrowing it is not news
      return quietRejection(closed);
    }
    let bytes: Uint8Array;
    try {
      bytes = toDatagram(data, address, msg.family);
    } catch (error) {
      this.#replyFailed(error as Error, address, port);
      return quietRejection(error);
    }
    const sent = new Promise<void>(capture);
    const resolve = capturedResolve;
    const reject = capturedReject;
    const done = (error: Error | null): void => {
      if (error) {
        const failure = new SendError(address, port, error);
        sent.catch(ignore); // reported through onError; awaiting the reply is optional
        this.#replyFailed(failure, address, port);
        reject(failure);
        return;
      }
      this.#replied++;
      this.#bytesOut += bytes.byteLength;
      resolve();
    };
    try {
      socket.send(bytes, port, address, done);
    } catch (error) {
      queueMicrotask(() => done(error as Error));
    }
    this.#lastReply = sent;
    return sent;
  }

  /** Sends one datagram without a promise; used by {@link UdpMessage.send}. */
  sendNow(msg: Message, data: Payload): boolean {
    const socket = this.#socket;
    if (socket === null || this.#state !== 'bound') {
      this.#replyErrors++;
      return false;
    }
    let bytes: Uint8Array;
    try {
      bytes = toDatagram(data, msg.address, msg.family);
    } catch (error) {
      this.#replyErrors++; // the caller gets the error; a handler that lets it escape is reported
      throw error;
    }
    socket.send(bytes, msg.port, msg.address, this.#afterSend);
    return true;
  }

  // One callback for every send(): Node passes the byte count, and on failure an error
  // that names the destination, so nothing has to be allocated per datagram.
  readonly #afterSend = (error: Error | null, sent?: number): void => {
    if (error) {
      const { address = '', port = 0 } = error as { address?: string; port?: number };
      this.#replyFailed(new SendError(address, port, error), address, port);
      return;
    }
    this.#replied++;
    this.#bytesOut += sent ?? 0;
  };

  #replyFailed(error: Error, address: string, port: number): void {
    this.#replyErrors++;
    reported.add(error);
    this.#report(error, { phase: 'reply', address, port });
  }

  #report(error: Error, context: UdpErrorContext): void {
    if (this.#onError !== undefined) {
      try {
        this.#onError(error, context);
      } catch {
        // A throwing onError must not take the server down; there is nowhere left to report.
      }
      return;
    }
    if (!this.#warned) {
      this.#warned = true;
      process.emitWarning(
        `${error.message} (pass onError to createUdpServer to see every failure; ` +
          'they are counted in stats())',
        { code: (error as { code?: string }).code ?? 'ERR_UDP_SERVER' },
      );
    }
  }

  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    const socket = this.#socket;
    this.#state = 'closed';
    this.#socket = null;
    this.#bound = null;
    this.#closing = (async () => {
      if (socket === null) return;
      // Replies sent just before close wait one tick for their address lookup; let them
      // reach the kernel (or fail) so that no reply promise is left pending forever.
      await nextTurn();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    })();
    return this.#closing;
  }

  stats(): UdpServerStats {
    return {
      received: this.#received,
      replied: this.#replied,
      dropped: this.#dropped,
      handlerErrors: this.#handlerErrors,
      replyErrors: this.#replyErrors,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      inFlight: this.#inFlight,
    };
  }

  address(): UdpBoundAddress | null {
    return this.#bound === null ? null : { ...this.#bound };
  }
}

/**
 * Creates a UDP server that calls `handler` for every datagram, the recipe's
 * `socketserver.UDPServer`. Call {@link UdpServer.bind} to start it.
 *
 * @param handler - serves one datagram; reply with `msg.reply(data)`; may be async
 * @param options - see {@link UdpServerOptions} and {@link UDP_SERVER_DEFAULTS}
 * @throws {@link InvalidArgumentError} (`ERR_INVALID_ARGUMENT`) for a bad handler or option
 */
export function createUdpServer(handler: UdpHandler, options: UdpServerOptions = {}): UdpServer {
  return new Server(handler, options);
}
