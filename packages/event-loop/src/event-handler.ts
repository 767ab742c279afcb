/**
 * The recipe's handler protocol: a handler owns one socket (in place of `fileno()`) and tells
 * the {@link EventLoop} what it is ready for; the loop calls it when the socket is.
 */
import type { Socket as DgramSocket, RemoteInfo } from 'node:dgram';
import type { Server, Socket } from 'node:net';
import type { MessagePort } from 'node:worker_threads';

/**
 * What a handler can own: a TCP socket, a UDP socket, a listening TCP server, or a
 * `MessagePort` (the in-process channel the recipe builds from a socket pair).
 */
export type HandlerSocket = Socket | DgramSocket | Server | MessagePort;

/**
 * The arguments of {@link EventHandler.handleReceive}, by socket type:
 * - `net.Socket`: `(chunk: Buffer)`, one chunk as read from the socket (any size from 1 byte
 *   to ~64 KiB; message boundaries are not preserved). At end of stream (the peer shut down
 *   its side) it is called once with an **empty** buffer, like `recv()` returning `b''`.
 * - `dgram.Socket`: `(datagram: Buffer, rinfo: RemoteInfo)`, one whole datagram and its
 *   sender (what `recvfrom()` returns).
 * - `net.Server`: `(client: net.Socket)`, one accepted connection (what `accept()` returns),
 *   paused and with a no-op `'error'` listener so it is safe until the handler adds a
 *   handler for it.
 * - `MessagePort`: `(message: unknown)`, one message.
 */
export type ReceiveArgs<S extends HandlerSocket> = S extends DgramSocket
  ? [datagram: Buffer, rinfo: RemoteInfo]
  : S extends Server
    ? [client: Socket]
    : S extends Socket
      ? [chunk: Buffer]
      : [message: unknown];

/**
 * Base class of event handlers (the recipe's `EventHandler`). Subclasses set `socket` and
 * override what they need; the defaults want nothing. The loop asks `wantsToReceive()` and
 * `wantsToSend()` again after every callback (and once per loop turn for every handler), so
 * their answers may change at any time. A method that throws gets the handler removed, its
 * socket closed and the error reported to the loop's `onError`.
 */
export abstract class EventHandler<S extends HandlerSocket = HandlerSocket> {
  /** The socket, UDP socket, server or port this handler owns (the recipe's `fileno()`). */
  abstract readonly socket: S;

  /**
   * Whether the handler wants input now. `false` pauses a TCP socket (backpressure: the
   * kernel buffers, then the peer's sends block); datagrams, connections and messages that
   * cannot be paused are held by the loop (up to `maxPending`) until it says `true`.
   */
  wantsToReceive(): boolean {
    return false;
  }

  /** Called with input when the handler wants it; see {@link ReceiveArgs} for the arguments. */
  handleReceive(..._args: ReceiveArgs<S>): void {}

  /**
   * Whether the handler has output. When `true`, `handleSend()` is called as soon as the
   * socket can take data: at once for UDP sockets and ports, and for TCP sockets when their
   * write buffer is below its high-water mark (otherwise after `'drain'`).
   */
  wantsToSend(): boolean {
    return false;
  }

  /** Called when the handler wants to send and the socket can take data. */
  handleSend(): void {}

  /** Called once when the socket closes while the handler is registered; it is then removed. */
  handleClose(): void {}
}
