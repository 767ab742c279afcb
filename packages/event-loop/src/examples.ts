/**
 * The recipe's example handlers, ported: UDP time and echo servers, a TCP echo server that
 * adds one client handler per connection, and the thread-pool handler that brings results of
 * blocking work back to the loop as events (with the recipe's UDP server that uses it).
 */
import { createSocket, type Socket as DgramSocket, type RemoteInfo } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { withDefaults } from '@net/core';
import { formatCtime } from '@net/udp-server';
import { EventHandler } from './event-handler.js';
import type { EventLoop } from './event-loop.js';
import type { RunOptions, WorkerPool } from './worker-pool.js';

/** Where an example server listens. */
export interface ListenOptions {
  /** Address to bind (default `'127.0.0.1'`). */
  host?: string;
  /** Port to bind (default `0`: any free port; read it from `socket.address()`). */
  port?: number;
}

/** Defaults of the example servers' options. */
export const EXAMPLE_DEFAULTS = {
  /** Loopback only. */
  host: '127.0.0.1',
  /** Any free port. */
  port: 0,
  /** Bytes a TCP echo client holds (unsent + in the socket's buffer) before it stops reading. */
  maxBuffered: 1024 * 1024,
} as const satisfies Required<ListenOptions> & Pick<TcpEchoClient, 'maxBuffered'>;

/** Base of the UDP servers (the recipe's `UDPServer`): owns a UDP socket, always receiving. */
export abstract class UdpServer extends EventHandler<DgramSocket> {
  /** @param socket A bound UDP socket; the loop receives on it. */
  constructor(readonly socket: DgramSocket) {
    super();
  }

  override wantsToReceive(): boolean {
    return true;
  }
}

/** Answers every datagram with the current time as `time.ctime()` text (ASCII). */
export class UdpTimeServer extends UdpServer {
  override handleReceive(_datagram: Buffer, rinfo: RemoteInfo): void {
    this.socket.send(formatCtime(), rinfo.port, rinfo.address);
  }
}

/** Sends every datagram back to its sender. */
export class UdpEchoServer extends UdpServer {
  override handleReceive(datagram: Buffer, rinfo: RemoteInfo): void {
    this.socket.send(datagram, rinfo.port, rinfo.address);
  }
}

/** Makes the handler for one accepted connection. */
export type ClientHandlerFactory = (client: Socket, loop: EventLoop) => EventHandler;

/** The recipe's `TCPServer`: accepts connections and adds one client handler for each. */
export class TcpServer extends EventHandler<Server> {
  /**
   * @param socket The listening server whose connections it accepts.
   * @param clientHandler Makes the handler of each accepted connection.
   * @param loop The loop those handlers are added to.
   */
  constructor(
    readonly socket: Server,
    readonly clientHandler: ClientHandlerFactory,
    readonly loop: EventLoop,
  ) {
    super();
  }

  override wantsToReceive(): boolean {
    return true;
  }

  override handleReceive(client: Socket): void {
    this.loop.add(this.clientHandler(client, this.loop));
  }
}

/**
 * The recipe's `TCPClient`: owns a connection and an outgoing buffer; `send()` queues bytes,
 * the loop calls `handleSend()` when the socket can take them.
 */
export class TcpClient extends EventHandler<Socket> {
  private outgoing: Buffer[] = [];
  /** Bytes queued by `send()` and not yet handed to the socket. */
  protected outgoingBytes = 0;

  /**
   * @param socket The connection it owns.
   * @param loop The loop it is registered with; `close()` removes it from there.
   */
  constructor(
    readonly socket: Socket,
    readonly loop: EventLoop,
  ) {
    super();
  }

  /** Queues bytes for the peer. */
  send(data: Buffer): void {
    this.outgoing.push(data);
    this.outgoingBytes += data.byteLength;
  }

  override wantsToSend(): boolean {
    return this.outgoingBytes > 0;
  }

  override handleSend(): void {
    const data = this.outgoing.length === 1 ? this.outgoing[0]! : Buffer.concat(this.outgoing);
    this.outgoing = [];
    this.outgoingBytes = 0;
    this.socket.write(data);
  }

  /** Flushes what is queued, ends the connection and leaves the loop. */
  close(): void {
    this.loop.remove(this);
    const rest = Buffer.concat(this.outgoing);
    this.outgoing = [];
    this.outgoingBytes = 0;
    this.socket.end(rest);
    this.socket.resume(); // discard further input so the socket can finish closing
  }
}

/**
 * The recipe's `TCPEchoClient`: sends back what it receives, and closes at end of stream. It
 * stops reading while `maxBuffered` bytes wait to be sent (backpressure on a slow reader).
 */
export class TcpEchoClient extends TcpClient {
  /** See {@link EXAMPLE_DEFAULTS.maxBuffered}. */
  maxBuffered: number = EXAMPLE_DEFAULTS.maxBuffered;

  override wantsToReceive(): boolean {
    return this.outgoingBytes + this.socket.writableLength < this.maxBuffered;
  }

  override handleReceive(chunk: Buffer): void {
    if (chunk.byteLength === 0) this.close();
    else this.send(chunk);
  }
}

/** Called on the loop with a pool task's outcome. */
export type PoolCallback<R> = (error: unknown, result: R | undefined) => void;

/**
 * The recipe's `ThreadPoolHandler`: `run()` sends work to a {@link WorkerPool}; when it is
 * done, the result comes back to the loop as an event on this handler's port (the recipe's
 * socket pair), and `handleReceive` calls the callbacks. A throwing callback is reported with
 * `loop.reportError` and the handler stays registered.
 */
export class ThreadPoolHandler<
  TArg = unknown,
  TResult = unknown,
> extends EventHandler<MessagePort> {
  readonly socket: MessagePort;
  private readonly signal: MessagePort;
  private pending: [PoolCallback<TResult>, unknown, TResult | undefined][] = [];

  /**
   * @param pool The pool that runs the work.
   * @param loop The loop that `reportError`s a throwing callback.
   */
  constructor(
    readonly pool: WorkerPool<TArg, TResult>,
    readonly loop: EventLoop,
  ) {
    super();
    const { port1, port2 } = new MessageChannel();
    this.socket = port1;
    this.signal = port2;
  }

  /** Runs `arg` on the pool; `callback(error, result)` is called later, from the loop. */
  run(arg: TArg, callback: PoolCallback<TResult>, options?: RunOptions): void {
    this.pool.run<TResult>(arg, options).then(
      (result) => this.complete(callback, null, result),
      (error: unknown) => this.complete(callback, error, undefined),
    );
  }

  private complete(callback: PoolCallback<TResult>, error: unknown, result?: TResult): void {
    this.pending.push([callback, error, result]);
    // One wake-up per batch, like the recipe's one byte per result but coalesced.
    if (this.pending.length === 1) this.signal.postMessage(0);
  }

  override wantsToReceive(): boolean {
    return true;
  }

  override handleReceive(): void {
    const batch = this.pending;
    this.pending = [];
    for (const [callback, error, result] of batch) {
      try {
        callback(error, result);
      } catch (thrown) {
        this.loop.reportError(thrown, this);
      }
    }
  }
}

/**
 * The recipe's `UDPFibServer`, generalised: each datagram's text is the argument of a pool
 * task; the task's result is sent back as text (`String(result)`), or `error: <code>` when
 * the task failed. The loop never blocks on the work.
 */
export class UdpPoolServer extends UdpServer {
  /**
   * @param socket A bound UDP socket.
   * @param pool The handler that runs each datagram's task; add it to the same loop.
   */
  constructor(
    socket: DgramSocket,
    readonly pool: ThreadPoolHandler<string, unknown>,
  ) {
    super(socket);
  }

  override handleReceive(datagram: Buffer, rinfo: RemoteInfo): void {
    this.pool.run(datagram.toString('utf8'), (error, result) => {
      const code = (error as { code?: string } | null)?.code ?? 'ERR_TASK_FAILED';
      const reply = error === null ? String(result) : `error: ${code}`;
      this.socket.send(reply, rinfo.port, rinfo.address);
    });
  }
}

async function bindUdp(options: ListenOptions): Promise<DgramSocket> {
  const { host, port } = withDefaults(EXAMPLE_DEFAULTS, options);
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.bind(port, host);
  try {
    await once(socket, 'listening');
  } catch (error) {
    socket.close();
    throw error;
  }
  return socket;
}

async function addUdpServer<T extends UdpServer>(
  loop: EventLoop,
  Server: new (socket: DgramSocket) => T,
  options: ListenOptions,
): Promise<T> {
  const server = new Server(await bindUdp(options));
  loop.add(server);
  return server;
}

/** Binds a {@link UdpTimeServer} and adds it to `loop`. */
export function createUdpTimeServer(
  loop: EventLoop,
  options: ListenOptions = {},
): Promise<UdpTimeServer> {
  return addUdpServer(loop, UdpTimeServer, options);
}

/** Binds a {@link UdpEchoServer} and adds it to `loop`. */
export function createUdpEchoServer(
  loop: EventLoop,
  options: ListenOptions = {},
): Promise<UdpEchoServer> {
  return addUdpServer(loop, UdpEchoServer, options);
}

/**
 * Adds a {@link ThreadPoolHandler} for `pool` and a {@link UdpPoolServer} that uses it to
 * `loop` (the recipe's `handlers = [pool, UDPFibServer(...)]`).
 */
export async function createUdpPoolServer(
  loop: EventLoop,
  pool: WorkerPool<string, unknown>,
  options: ListenOptions = {},
): Promise<{
  /** The UDP server, bound and added to `loop`. */
  server: UdpPoolServer;
  /** The pool handler it sends tasks through, added to `loop`. */
  poolHandler: ThreadPoolHandler<string, unknown>;
}> {
  const poolHandler = new ThreadPoolHandler(pool, loop);
  const server = new UdpPoolServer(await bindUdp(options), poolHandler);
  loop.add(poolHandler).add(server);
  return { server, poolHandler };
}

/** Listens with a {@link TcpServer} whose clients are {@link TcpEchoClient}s, added to `loop`. */
export async function createTcpEchoServer(
  loop: EventLoop,
  options: ListenOptions = {},
): Promise<TcpServer> {
  const { host, port } = withDefaults(EXAMPLE_DEFAULTS, options);
  const socket = createServer();
  socket.listen(port, host);
  await once(socket, 'listening'); // rejects with the listen error (e.g. EADDRINUSE)
  const server = new TcpServer(socket, (client, l) => new TcpEchoClient(client, l), loop);
  loop.add(server);
  return server;
}
