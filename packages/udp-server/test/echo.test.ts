import { describe, expect, it } from 'vitest';
import {
  createUdpClient,
  createUdpServer,
  MAX_IPV4_PAYLOAD,
  MAX_IPV6_PAYLOAD,
  type UdpMessage,
  udpRequest,
} from '../src/index.js';
import {
  collect,
  echoServer,
  onCleanup,
  pattern,
  rawSocket,
  rejection,
  waitFor,
} from './helpers.js';

describe('echo over IPv4', () => {
  it.each([0, 1, 512, 8_192, 65_507])('echoes a %i-byte datagram', async (size) => {
    const { server, port } = await echoServer();
    const sent = pattern(size);
    const reply = await udpRequest({ host: '127.0.0.1', port }, sent, { timeout: 2_000 });
    expect(reply.byteLength).toBe(size);
    expect(Buffer.from(reply).equals(Buffer.from(sent))).toBe(true);
    expect(server.stats()).toMatchObject({
      received: 1,
      replied: 1,
      bytesIn: size,
      bytesOut: size,
      dropped: 0,
      handlerErrors: 0,
      replyErrors: 0,
    });
  });

  it('sends strings as UTF-8', async () => {
    const { port } = await echoServer();
    const reply = await udpRequest({ host: '127.0.0.1', port }, 'héllo');
    expect(Buffer.from(reply).toString('utf8')).toBe('héllo');
  });

  it('serves several clients and reports the bound address', async () => {
    const { server, port } = await echoServer();
    expect(server.address()).toEqual({ address: '127.0.0.1', port, family: 'IPv4' });
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => udpRequest({ host: '127.0.0.1', port }, `client ${i}`)),
    );
    expect(replies.map((r) => Buffer.from(r).toString())).toEqual(
      Array.from({ length: 20 }, (_, i) => `client ${i}`),
    );
  });

  it('binds a host name, resolved once to an address', async () => {
    const { server, port } = await echoServer('localhost');
    const { address } = server.address()!;
    expect(['127.0.0.1', '::1']).toContain(address);
    const reply = await udpRequest({ host: address, port }, 'named');
    expect(Buffer.from(reply).toString()).toBe('named');
  });

  it('exports the datagram limits', () => {
    expect(MAX_IPV4_PAYLOAD).toBe(65_507);
    expect(MAX_IPV6_PAYLOAD).toBe(65_527);
  });
});

describe('IPv6', () => {
  it('echoes on ::1, up to the 65,527-byte IPv6 maximum', async () => {
    const { server, port } = await echoServer('::1');
    expect(server.address()?.family).toBe('IPv6');
    for (const size of [0, 1, 512, 65_507, 65_527]) {
      const sent = pattern(size);
      const reply = await udpRequest({ host: '::1', port }, sent, { timeout: 2_000 });
      expect(Buffer.from(reply).equals(Buffer.from(sent))).toBe(true);
    }
    expect(server.stats().received).toBe(5);
  });

  it('accepts IPv4 peers on a dual-stack "::" socket and answers them', async () => {
    const { server, port } = await echoServer('::');
    expect(server.address()?.family).toBe('IPv6');
    const client = createUdpClient({ host: '127.0.0.1', port });
    onCleanup(() => client.close());
    expect(Buffer.from(await client.request('over v4')).toString()).toBe('over v4');
    // a host name is resolved once; 'localhost' may be 127.0.0.1 or ::1, both reach '::'
    const named = await udpRequest({ host: 'localhost', port }, 'by name');
    expect(Buffer.from(named).toString()).toBe('by name');
  });

  it('refuses IPv4 peers with ipv6Only', async () => {
    const { port } = await echoServer('::', { ipv6Only: true });
    const error = await udpRequest({ host: '127.0.0.1', port }, 'x', { timeout: 100, retries: 0 })
      .then(() => null)
      .catch((e: { code?: string }) => e);
    expect(error?.code).toBe('ERR_REQUEST_TIMEOUT');
  });
});

describe('several replies to one datagram', () => {
  it('sends each, and counts the handler done when it returns the reply', async () => {
    const server = createUdpServer((msg) => {
      void msg.reply('first');
      return msg.reply('second');
    });
    onCleanup(() => server.close());
    const { port } = await server.bind({ host: '127.0.0.1', port: 0 });
    const peer = await rawSocket();
    const seen = collect(peer);
    peer.send('go', port, '127.0.0.1');
    await waitFor(() => seen.length === 2 && server.stats().inFlight === 0);
    expect(seen.map((s) => s.data.toString())).toEqual(['first', 'second']);
    expect(server.stats()).toMatchObject({ received: 1, replied: 2, inFlight: 0 });
  });
});

describe('msg.send (fire-and-forget)', () => {
  it('echoes without a promise and counts the bytes', async () => {
    const server = createUdpServer((msg) => {
      expect(msg.send(msg.data)).toBe(true);
    });
    onCleanup(() => server.close());
    const { port } = await server.bind({ host: '127.0.0.1', port: 0 });
    for (const size of [0, 1, 65_507]) {
      const reply = await udpRequest({ host: '127.0.0.1', port }, pattern(size));
      expect(Buffer.from(reply).equals(Buffer.from(pattern(size)))).toBe(true);
    }
    await waitFor(() => server.stats().replied === 3);
    expect(server.stats()).toMatchObject({ replied: 3, bytesOut: 65_508, replyErrors: 0 });
  });

  it('throws ERR_DATAGRAM_TOO_LARGE synchronously and returns false after close', async () => {
    const held: UdpMessage[] = [];
    const thrown: string[] = [];
    const server = createUdpServer((msg) => {
      held.push(msg);
      try {
        msg.send(pattern(65_508));
      } catch (error) {
        thrown.push((error as { code: string }).code);
      }
    });
    onCleanup(() => server.close());
    const { port } = await server.bind({ host: '127.0.0.1', port: 0 });
    await rejection(udpRequest({ host: '127.0.0.1', port }, 'x', { timeout: 50, retries: 0 }));
    expect(thrown).toEqual(['ERR_DATAGRAM_TOO_LARGE']);
    await server.close();
    expect(held[0]!.send('late')).toBe(false);
    expect(server.stats().replyErrors).toBe(2);
  });
});
