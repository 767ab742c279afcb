import { createSocket, type Socket as DgramSocket, type RemoteInfo } from 'node:dgram';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTcpEchoServer,
  EventHandler,
  EventLoop,
  type HandlerError,
  TcpEchoClient,
  TcpServer,
  ThreadPoolHandler,
  WorkerPool,
} from '../src/index.js';
import { until } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newLoop(): { loop: EventLoop; errors: HandlerError[] } {
  const errors: HandlerError[] = [];
  const loop = new EventLoop({ onError: (error) => errors.push(error) });
  cleanups.push(() => loop.close());
  return { loop, errors };
}

async function dial(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  cleanups.push(() => socket.destroy());
  await once(socket, 'connect');
  return socket;
}

/** Sends `data`, half-closes, and resolves with everything the server sent back. */
async function exchange(socket: Socket, data: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.end(data);
  await once(socket, 'end');
  return Buffer.concat(chunks);
}

function portOf(server: Server | DgramSocket): number {
  return (server.address() as AddressInfo).port;
}

/** A TCP client handler that throws when it receives "boom", otherwise echoes. */
class FragileEcho extends TcpEchoClient {
  override handleReceive(chunk: Buffer): void {
    if (chunk.includes('boom')) throw new Error('handler failed on purpose');
    super.handleReceive(chunk);
  }
}

async function listen(loop: EventLoop, factory: ConstructorParameters<typeof TcpServer>[1]) {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  loop.add(new TcpServer(server, factory, loop));
  return portOf(server);
}

describe('EventLoop with the recipe handlers', () => {
  it('echoes TCP clients, one handler per connection, removed when each closes', async () => {
    const { loop, errors } = newLoop();
    const server = await createTcpEchoServer(loop);
    const payloads = [Buffer.alloc(3 * 1024 * 1024, 'a'), Buffer.from('hello'), Buffer.alloc(1)];
    const clients = await Promise.all(payloads.map(() => dial(portOf(server.socket))));
    await until(() => loop.stats().handlers === 4);
    const echoed = await Promise.all(clients.map((c, i) => exchange(c, payloads[i]!)));
    expect(echoed.map((b, i) => b.equals(payloads[i]!))).toEqual([true, true, true]);
    await until(() => loop.stats().handlers === 1);
    expect(errors).toEqual([]);
  });

  it('removes and reports a throwing handler; the other clients go on', async () => {
    const { loop, errors } = newLoop();
    const port = await listen(loop, (client, l) => new FragileEcho(client, l));
    const bad = await dial(port);
    const good = await dial(port);
    bad.write('boom');
    await once(bad, 'close');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('ERR_HANDLER_FAILED');
    expect(errors[0]!.phase).toBe('handleReceive');
    expect((errors[0]!.cause as Error).message).toBe('handler failed on purpose');
    expect(loop.has(errors[0]!.handler)).toBe(false);
    expect((await exchange(good, Buffer.from('still here'))).toString()).toBe('still here');
  });

  it('removes a handler whose wantsToReceive throws, with that phase', async () => {
    const { loop, errors } = newLoop();
    class Broken extends TcpEchoClient {
      override wantsToReceive(): boolean {
        throw new TypeError('cannot decide');
      }
    }
    const port = await listen(loop, (client, l) => new Broken(client, l));
    const client = await dial(port);
    await once(client, 'close');
    expect(errors.map((e) => [e.code, e.phase])).toEqual([
      ['ERR_HANDLER_FAILED', 'wantsToReceive'],
    ]);
    expect(loop.stats()).toMatchObject({ handlers: 1, failed: 1 });
  });

  it('reports a socket error (peer reset) as ERR_HANDLER_SOCKET and removes the handler', async () => {
    const { loop, errors } = newLoop();
    const port = await listen(loop, (client, l) => new TcpEchoClient(client, l));
    const client = await dial(port);
    await until(() => loop.stats().handlers === 2);
    client.resetAndDestroy();
    await until(() => errors.length === 1);
    expect(errors[0]!.code).toBe('ERR_HANDLER_SOCKET');
    expect(errors[0]!.phase).toBe('socket');
    expect((errors[0]!.cause as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(loop.stats().handlers).toBe(1);
  });

  it('pauses a TCP socket while its handler does not want to receive (backpressure)', async () => {
    const { loop } = newLoop();
    const received: Buffer[] = [];
    let open = false;
    let handler: EventHandler<Socket> | undefined;
    class Gated extends EventHandler<Socket> {
      constructor(readonly socket: Socket) {
        super();
      }
      override wantsToReceive(): boolean {
        return open;
      }
      override handleReceive(chunk: Buffer): void {
        received.push(chunk);
      }
    }
    const port = await listen(loop, (client) => {
      handler = new Gated(client);
      return handler;
    });
    const client = await dial(port);
    client.write(Buffer.alloc(256 * 1024, 1));
    await until(() => handler !== undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toEqual([]);
    expect(handler!.socket.isPaused()).toBe(true);
    open = true;
    loop.refresh(handler);
    await until(() => received.reduce((n, c) => n + c.byteLength, 0) === 256 * 1024);
    client.end();
    await until(() => received.at(-1)?.byteLength === 0); // end of stream: one empty chunk
  });

  it('calls handleSend only when the socket can take data, and again after drain', async () => {
    const { loop, errors } = newLoop();
    const chunk = Buffer.alloc(1024 * 1024, 2);
    const total = 16;
    let sent = 0;
    let sendWhileFull = 0;
    class Sender extends EventHandler<Socket> {
      constructor(readonly socket: Socket) {
        super();
      }
      override wantsToSend(): boolean {
        return sent < total;
      }
      override handleSend(): void {
        if (this.socket.writableNeedDrain) sendWhileFull++;
        sent++;
        this.socket.write(chunk);
        if (sent === total) this.socket.end();
      }
    }
    const port = await listen(loop, (client) => new Sender(client));
    const client = await dial(port);
    client.pause();
    await until(() => sent > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toBeLessThan(total); // the peer is not reading: the loop waits for 'drain'
    let bytes = 0;
    client.on('data', (c: Buffer) => {
      bytes += c.byteLength;
    });
    client.resume();
    await once(client, 'end');
    expect(bytes).toBe(total * chunk.byteLength);
    expect(sendWhileFull).toBe(0);
    expect(errors).toEqual([]);
  });

  it('holds datagrams up to maxPending while a UDP handler does not want them', async () => {
    const errors: HandlerError[] = [];
    const loop = new EventLoop({ maxPending: 2, onError: (e) => errors.push(e) });
    cleanups.push(() => loop.close());
    const got: string[] = [];
    let open = false;
    class Collector extends EventHandler<DgramSocket> {
      constructor(readonly socket: DgramSocket) {
        super();
      }
      override wantsToReceive(): boolean {
        return open;
      }
      override handleReceive(datagram: Buffer, rinfo: RemoteInfo): void {
        expect(rinfo.address).toBe('127.0.0.1');
        got.push(datagram.toString());
      }
    }
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const collector = new Collector(socket);
    loop.add(collector);
    const sender = createSocket('udp4');
    cleanups.push(() => sender.close());
    for (const word of ['a', 'b', 'c', 'd']) sender.send(word, portOf(socket), '127.0.0.1');
    await until(() => loop.stats().pending + loop.stats().dropped === 4);
    expect(loop.stats()).toMatchObject({ pending: 2, dropped: 2 });
    open = true;
    loop.refresh(collector);
    await until(() => got.length === 2);
    expect(got).toEqual(['a', 'b']);
    expect(errors).toEqual([]);
  });

  it('calls handleClose when the peer closes a socket the handler did not close', async () => {
    const { loop } = newLoop();
    let closed = 0;
    class Passive extends EventHandler<Socket> {
      constructor(readonly socket: Socket) {
        super();
      }
      override wantsToReceive(): boolean {
        return true;
      }
      override handleClose(): void {
        closed++;
      }
    }
    const port = await listen(loop, (client) => new Passive(client));
    const client = await dial(port);
    await until(() => loop.stats().handlers === 2);
    client.destroy();
    await until(() => closed === 1);
    expect(loop.stats().handlers).toBe(1);
  });

  it('brings pool results back as events; a throwing callback is reported, the handler stays', async () => {
    const { loop, errors } = newLoop();
    const pool = new WorkerPool<number, number>({
      filename: new URL('./fixtures/tasks.mjs', import.meta.url),
      maxWorkers: 1,
    });
    cleanups.push(() => pool.destroy());
    const handler = new ThreadPoolHandler(pool, loop);
    loop.add(handler);
    const results: number[] = [];
    await new Promise<void>((resolve) => {
      handler.run(1, () => {
        throw new Error('callback failed on purpose');
      });
      for (let i = 10; i < 13; i++) {
        handler.run(i, (error, result) => {
          expect(error).toBeNull();
          results.push(result!);
          if (results.length === 3) resolve();
        });
      }
    });
    expect(results).toEqual([11, 12, 13]);
    expect(errors.map((e) => e.code)).toEqual(['ERR_HANDLER_CALLBACK']);
    expect(loop.has(handler)).toBe(true);
  });

  it('rejects a handler whose socket is not a socket, server or port', () => {
    const { loop } = newLoop();
    class Odd extends EventHandler {
      readonly socket = {} as Socket;
    }
    let code = '';
    try {
      loop.add(new Odd());
    } catch (error) {
      code = (error as { code: string }).code;
    }
    expect(code).toBe('ERR_INVALID_ARGUMENT');
  });
});
