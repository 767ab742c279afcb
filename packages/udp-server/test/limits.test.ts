import { describe, expect, it } from 'vitest';
import {
  createUdpClient,
  createUdpServer,
  DatagramTooLargeError,
  type UdpErrorContext,
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

describe('oversized datagrams are typed errors, never truncated', () => {
  it('rejects a request of 65,508 bytes to an IPv4 peer before sending', async () => {
    const { server, port } = await echoServer();
    const error = await rejection(udpRequest({ host: '127.0.0.1', port }, pattern(65_508)));
    expect(error.code).toBe('ERR_DATAGRAM_TOO_LARGE');
    expect(error).toBeInstanceOf(DatagramTooLargeError);
    expect((error as DatagramTooLargeError).limit).toBe(65_507);
    expect((error as DatagramTooLargeError).size).toBe(65_508);
    const client = createUdpClient({ host: '127.0.0.1', port });
    onCleanup(() => client.close());
    expect((await rejection(client.request(pattern(70_000)))).code).toBe('ERR_DATAGRAM_TOO_LARGE');
    expect(client.stats().sent).toBe(0);
    // the client still works afterwards
    expect((await client.request(pattern(65_507))).byteLength).toBe(65_507);
    expect(server.stats().received).toBe(1);
  });

  it('rejects 65,528 bytes to an IPv6 peer', async () => {
    const { port } = await echoServer('::1');
    const error = await rejection(udpRequest({ host: '::1', port }, pattern(65_528)));
    expect(error.code).toBe('ERR_DATAGRAM_TOO_LARGE');
    expect((error as DatagramTooLargeError).limit).toBe(65_527);
  });

  it('rejects an oversized reply, reports it, and keeps serving', async () => {
    const reports: Array<{ code?: string; context: UdpErrorContext }> = [];
    const outcomes: string[] = [];
    const server = createUdpServer(
      async (msg) => {
        const size = Number(Buffer.from(msg.data).toString());
        try {
          await msg.reply(pattern(size));
          outcomes.push('sent');
        } catch (error) {
          outcomes.push((error as { code: string }).code);
        }
      },
      {
        onError: (error, context) =>
          reports.push({ code: (error as { code?: string }).code, context }),
      },
    );
    onCleanup(() => server.close());
    const { port } = await server.bind({ host: '127.0.0.1', port: 0 });
    const peer = await rawSocket();
    const seen = collect(peer);
    peer.send('65508', port, '127.0.0.1');
    await waitFor(() => outcomes.length === 1);
    expect(outcomes).toEqual(['ERR_DATAGRAM_TOO_LARGE']);
    expect(reports).toEqual([
      {
        code: 'ERR_DATAGRAM_TOO_LARGE',
        context: { phase: 'reply', address: '127.0.0.1', port: peer.address().port },
      },
    ]);
    peer.send('65507', port, '127.0.0.1');
    await waitFor(() => seen.length === 1);
    expect(seen[0]!.data.byteLength).toBe(65_507);
    expect(server.stats()).toMatchObject({
      received: 2,
      replied: 1,
      replyErrors: 1,
      handlerErrors: 0,
    });
  });

  it('an ignored failed reply does not crash the process', async () => {
    const reports: string[] = [];
    const server = createUdpServer(
      (msg) => {
        void msg.reply(pattern(100_000)); // not awaited on purpose
      },
      { onError: (error) => reports.push((error as Error & { code: string }).code) },
    );
    onCleanup(() => server.close());
    const { port } = await server.bind({ host: '127.0.0.1', port: 0 });
    const peer = await rawSocket();
    peer.send('x', port, '127.0.0.1');
    await waitFor(() => reports.length === 1);
    expect(reports).toEqual(['ERR_DATAGRAM_TOO_LARGE']);
    expect(server.stats()).toMatchObject({ replyErrors: 1, handlerErrors: 0, inFlight: 0 });
  });
});
