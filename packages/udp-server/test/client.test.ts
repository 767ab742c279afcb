import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  createUdpClient,
  createUdpServer,
  type ReplyIdCodec,
  UDP_CLIENT_DEFAULTS,
} from '../src/index.js';
import { onCleanup, rawSocket, rejection } from './helpers.js';

/** 4-byte big-endian id in front of the payload. */
const idPrefix: ReplyIdCodec = {
  encode(id, data) {
    const out = Buffer.alloc(4 + data.byteLength);
    out.writeUInt32BE(id, 0);
    out.set(data, 4);
    return out;
  },
  decode(reply) {
    return reply.byteLength < 4 ? undefined : Buffer.from(reply).readUInt32BE(0);
  },
};

describe('createUdpClient', () => {
  it('matches replies FIFO against an in-order server, many requests in flight', async () => {
    const server = createUdpServer((msg) =>
      msg.reply(Buffer.from(msg.data).toString().toUpperCase()),
    );
    onCleanup(() => server.close());
    const { port } = await server.bind({ host: '127.0.0.1', port: 0 });
    const client = createUdpClient({ host: '127.0.0.1', port }, { timeout: 2_000 });
    onCleanup(() => client.close());
    const words = Array.from({ length: 200 }, (_, i) => `word-${i}`);
    const replies = await Promise.all(words.map((w) => client.request(w)));
    expect(replies.map((r) => Buffer.from(r).toString())).toEqual(
      words.map((w) => w.toUpperCase()),
    );
    expect(client.stats()).toMatchObject({ sent: 200, matched: 200, ignored: 0, pending: 0 });
    expect(UDP_CLIENT_DEFAULTS).toEqual({ timeout: 1_000, retries: 0, backoff: 2 });
  });

  it('matches by id against a server that answers out of order', async () => {
    // replies after a delay that decreases with the request number: last asked, first answered
    const server = createUdpServer(async (msg) => {
      const n = Number(Buffer.from(msg.data.subarray(4)).toString());
      await sleep(5 * (10 - n));
      const out = Buffer.concat([msg.data.subarray(0, 4), Buffer.from(`reply ${n}`)]);
      await msg.reply(out);
      await msg.reply(out); // a duplicate: must be ignored
    });
    onCleanup(() => server.close());
    const { port } = await server.bind({ host: '127.0.0.1', port: 0 });
    const client = createUdpClient({ host: '127.0.0.1', port }, { ids: idPrefix, timeout: 2_000 });
    onCleanup(() => client.close());
    const order: number[] = [];
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        client.request(String(n)).then((reply) => {
          order.push(n);
          return Buffer.from(reply.subarray(4)).toString();
        }),
      ),
    );
    expect(replies).toEqual(Array.from({ length: 10 }, (_, n) => `reply ${n}`));
    expect(order).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    await sleep(50);
    expect(client.stats()).toMatchObject({ matched: 10, pending: 0 });
    expect(client.stats().ignored).toBe(10);
  });

  it('ignores replies the id codec cannot read, and survives a throwing codec', async () => {
    const server = await rawSocket();
    server.on('message', (data, rinfo) => {
      server.send(Buffer.from([1]), rinfo.port, rinfo.address); // too short for an id
      server.send(Buffer.from('ZZZZnot an id'), rinfo.port, rinfo.address); // decode throws
      server.send(data, rinfo.port, rinfo.address);
    });
    const codec: ReplyIdCodec = {
      encode: idPrefix.encode,
      decode(reply) {
        if (reply[0] === 0x5a) throw new Error('codec failure');
        return idPrefix.decode(reply);
      },
    };
    const client = createUdpClient(
      { host: '127.0.0.1', port: server.address().port },
      { ids: codec, timeout: 2_000 },
    );
    onCleanup(() => client.close());
    const reply = await client.request('ping');
    expect(Buffer.from(reply.subarray(4)).toString()).toBe('ping');
    expect(client.stats()).toMatchObject({ ignored: 2, matched: 1 });
  });

  it('with FIFO, a retry shifts a late reply onto the next request (hence retries: 0); ids do not', async () => {
    // The first datagram is answered late (after the client retransmitted it), the
    // retransmit at once; 'second' slowly. The late answer arrives while 'second' waits.
    const lateFirst = async (id: Uint8Array) => {
      let seen = 0;
      const server = createUdpServer(async (msg) => {
        const text = Buffer.from(msg.data.subarray(id.byteLength)).toString();
        const delay = text === 'first' ? (seen++ === 0 ? 300 : 0) : 800;
        await sleep(delay);
        await msg.reply(
          Buffer.concat([msg.data.subarray(0, id.byteLength), Buffer.from(text.toUpperCase())]),
        );
      });
      onCleanup(() => server.close());
      return (await server.bind({ host: '127.0.0.1', port: 0 })).port;
    };
    const fifoPort = await lateFirst(new Uint8Array(0));
    const fifo = createUdpClient(
      { host: '127.0.0.1', port: fifoPort },
      { timeout: 100, retries: 1 },
    );
    onCleanup(() => fifo.close());
    expect(Buffer.from(await fifo.request('first')).toString()).toBe('FIRST');
    // The late reply to 'first' is taken by 'second': the wrong answer.
    expect(Buffer.from(await fifo.request('second', { timeout: 2_000 })).toString()).toBe('FIRST');

    const idPort = await lateFirst(new Uint8Array(4));
    const byId = createUdpClient(
      { host: '127.0.0.1', port: idPort },
      { timeout: 100, retries: 1, ids: idPrefix },
    );
    onCleanup(() => byId.close());
    expect(Buffer.from((await byId.request('first')).subarray(4)).toString()).toBe('FIRST');
    const second = await byId.request('second', { timeout: 2_000 });
    expect(Buffer.from(second.subarray(4)).toString()).toBe('SECOND');
    expect(byId.stats().ignored).toBeGreaterThanOrEqual(1); // the late reply to 'first'
  });

  it('retries per request with its own options, and counts retransmits', async () => {
    const silent = await rawSocket();
    const client = createUdpClient({ host: '127.0.0.1', port: silent.address().port });
    onCleanup(() => client.close());
    const error = await rejection(client.request('x', { timeout: 10, retries: 2, backoff: 1 }));
    expect(error.code).toBe('ERR_REQUEST_TIMEOUT');
    expect(client.stats()).toMatchObject({ sent: 3, retransmits: 2, timeouts: 1, pending: 0 });
  });

  it('fails requests when the host does not resolve', async () => {
    const client = createUdpClient({ host: 'no-such-host.invalid', port: 9 });
    onCleanup(() => client.close());
    const error = await rejection(client.request('x'));
    expect(error.code).toMatch(/^E/); // the resolver's code, e.g. ENOTFOUND
  });
});
