import { ClientClosedError as CoreClientClosedError } from '@net/core';
import { describe, expect, it } from 'vitest';
import {
  AlreadyBoundError,
  BindError,
  ClientClosedError,
  createUdpClient,
  createUdpServer,
  ListenError,
  ServerClosedError,
  ServerStateError,
  type UdpMessage,
} from '../src/index.js';
import { echoServer, onCleanup, rawSocket, rejection, waitFor } from './helpers.js';

describe('closing with requests and handlers in flight', () => {
  it('rejects pending client requests with ERR_CLIENT_CLOSED', async () => {
    const silent = await rawSocket(); // never answers
    const client = createUdpClient(
      { host: '127.0.0.1', port: silent.address().port },
      { timeout: 5_000 },
    );
    const pending = [client.request('a'), client.request('b'), client.request('c')];
    await waitFor(() => client.stats().sent === 3);
    expect(client.stats().pending).toBe(3);
    await client.close();
    for (const request of pending) {
      const error = await rejection(request);
      expect(error.code).toBe('ERR_CLIENT_CLOSED');
      expect(error).toBeInstanceOf(ClientClosedError);
      expect(error).toBeInstanceOf(CoreClientClosedError);
    }
    expect(client.stats().pending).toBe(0);
    expect((await rejection(client.request('late'))).code).toBe('ERR_CLIENT_CLOSED');
    await client.close(); // idempotent
  });

  it('discards replies of handlers still running at server close, without crashing', async () => {
    const held: UdpMessage[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const outcomes: string[] = [];
    const server = createUdpServer(async (msg) => {
      held.push(msg);
      await gate;
      try {
        await msg.reply('late');
        outcomes.push('sent');
      } catch (error) {
        outcomes.push((error as { code: string }).code);
      }
    });
    onCleanup(() => server.close());
    const { port } = await server.bind({ host: '127.0.0.1', port: 0 });
    const client = createUdpClient({ host: '127.0.0.1', port }, { timeout: 5_000 });
    onCleanup(() => client.close());
    const requests = [client.request('1'), client.request('2')];
    await waitFor(() => held.length === 2);
    expect(server.stats().inFlight).toBe(2);
    await server.close();
    expect(server.address()).toBeNull();
    release();
    await waitFor(() => outcomes.length === 2);
    expect(outcomes).toEqual(['ERR_SERVER_STATE', 'ERR_SERVER_STATE']);
    // a reply that nobody awaits after close must not crash either
    void held[0]!.reply('ignored');
    await client.close();
    for (const request of requests)
      expect((await rejection(request)).code).toBe('ERR_CLIENT_CLOSED');
    expect(server.stats().inFlight).toBe(0);
    expect(server.stats().replyErrors).toBe(3);
  });

  it('completes replies sent just before close', async () => {
    const { server, port } = await echoServer();
    const peer = await rawSocket();
    let replied = 0;
    peer.on('message', () => replied++);
    peer.send('x', port, '127.0.0.1');
    await waitFor(() => replied === 1);
    const closing = server.close();
    expect(server.close()).toBe(closing);
    await closing;
  });

  it('refuses bind after close, a second bind, and a port in use', async () => {
    const server = createUdpServer(() => undefined);
    await server.close();
    const closed = await rejection(server.bind({ host: '127.0.0.1', port: 0 }));
    expect(closed.code).toBe('ERR_SERVER_STATE');
    expect(closed).toBeInstanceOf(ServerClosedError);
    expect(closed).toBeInstanceOf(ServerStateError);

    const { server: first, port } = await echoServer();
    const twice = await rejection(first.bind({ host: '127.0.0.1', port: 0 }));
    expect(twice.code).toBe('ERR_SERVER_STATE');
    expect(twice).toBeInstanceOf(AlreadyBoundError);
    const second = createUdpServer(() => undefined);
    onCleanup(() => second.close());
    const inUse = await rejection(second.bind({ host: '127.0.0.1', port }));
    expect(inUse.code).toBe('ERR_LISTEN');
    expect(inUse).toBeInstanceOf(ListenError);
    expect(inUse).toBeInstanceOf(BindError);
    expect((inUse as BindError).address).toBe(`127.0.0.1:${port}`);
    expect((inUse as BindError).host).toBe('127.0.0.1');
    expect((inUse as BindError).port).toBe(port);
    expect((inUse.cause as { code?: string }).code).toBe('EADDRINUSE');
    // the failed server may bind elsewhere
    expect((await second.bind({ host: '127.0.0.1', port: 0 })).port).toBeGreaterThan(0);
  });

  it('lets two servers share a port with reuseAddr', async () => {
    const a = createUdpServer(() => undefined, { reuseAddr: true });
    const b = createUdpServer(() => undefined, { reuseAddr: true });
    onCleanup(() => a.close());
    onCleanup(() => b.close());
    const { port } = await a.bind({ host: '127.0.0.1', port: 0 });
    expect((await b.bind({ host: '127.0.0.1', port })).port).toBe(port);
  });

  it('validates its arguments', async () => {
    const invalid = { code: 'ERR_INVALID_ARGUMENT' };
    expect(() => createUdpServer('nope' as never)).toThrow(expect.objectContaining(invalid));
    expect(() => createUdpServer(() => undefined, { maxInFlight: 0 })).toThrow(
      expect.objectContaining(invalid),
    );
    expect(() => createUdpServer(() => undefined, { recvBufferSize: -1 })).toThrow(
      expect.objectContaining(invalid),
    );
    const server = createUdpServer(() => undefined);
    onCleanup(() => server.close());
    expect((await rejection(server.bind({ host: '127.0.0.1', port: 70_000 }))).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });
});
