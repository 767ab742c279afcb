// The handshakes' own bounded reads from a Duplex: bytes split at any boundary, bytes that
// arrive while no read waits, streams that cannot be read as bytes, streams already ended.
import { Duplex } from 'node:stream';
import { createStreamReader } from '@net/stream-reader';
import { describe, expect, it } from 'vitest';
import {
  answerChallenge,
  clientAuthenticate,
  deliverChallenge,
  serverAuthenticate,
} from '../src/index.js';
import { KEY, rejectionOf } from './helpers.js';

/** Like helpers' memoryPair, but every write reaches the peer one byte per chunk. */
function byteByBytePair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  const make = (peer: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        for (const byte of chunk) peer().push(Buffer.from([byte]));
        callback();
      },
      final(callback) {
        peer().push(null);
        callback();
      },
      destroy(error, callback) {
        peer().push(null);
        callback(error);
      },
    });
  sides.push(
    make(() => sides[1] as Duplex),
    make(() => sides[0] as Duplex),
  );
  return sides as [Duplex, Duplex];
}

describe('handshake reads from a Duplex', () => {
  it('recipe, mutual: bytes one per chunk; what follows the handshake stays readable', async () => {
    const [client, server] = byteByBytePair();
    const served = serverAuthenticate(server, KEY, { mutual: true });
    await clientAuthenticate(client, KEY, { mutual: true });
    client.write('after');
    expect(await served).toBe(true);
    const after = await createStreamReader(server, { timeout: 5_000 }).readExactly(5);
    expect(Buffer.from(after).toString()).toBe('after');
  });

  it('multiprocessing: frames one byte per chunk, both directions; the next frame stays readable', async () => {
    const [client, server] = byteByBytePair();
    const listener = (async () => {
      await deliverChallenge(server, KEY);
      await answerChallenge(server, KEY);
    })();
    await answerChallenge(client, KEY);
    await deliverChallenge(client, KEY);
    await listener;
    client.write(Buffer.from([0, 0, 0, 2, 0x68, 0x69]));
    const next = await createStreamReader(server, { timeout: 5_000 }).readFrame();
    expect(Buffer.from(next ?? []).toString()).toBe('hi');
  });

  it('a stream with an encoding set, or in object mode, is ERR_INVALID_ARGUMENT', async () => {
    const [client] = byteByBytePair();
    client.setEncoding('utf8');
    expect((await rejectionOf(clientAuthenticate(client, KEY))).code).toBe('ERR_INVALID_ARGUMENT');
    const objects = new Duplex({ objectMode: true, read() {}, write: (_c, _e, cb) => cb() });
    expect((await rejectionOf(answerChallenge(objects, KEY))).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('a timeout or an abort mid-read hands the stream back with the bytes that came', async () => {
    const [client, server] = byteByBytePair();
    server.write(Buffer.alloc(10, 7)); // 10 of the 32 challenge bytes
    const timedOut = await rejectionOf(clientAuthenticate(client, KEY, { timeout: 100 }));
    expect(timedOut.code).toBe('ERR_AUTH_TIMEOUT');
    const controller = new AbortController();
    const aborted = rejectionOf(clientAuthenticate(client, KEY, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    expect((await aborted).code).toBe('ERR_ABORTED');
    const kept = await createStreamReader(client, { timeout: 5_000 }).readExactly(10);
    expect(Buffer.from(kept)).toEqual(Buffer.alloc(10, 7));
  });

  it('a stream that already ended is ERR_AUTH_PROTOCOL, at once', async () => {
    const [client, server] = byteByBytePair();
    server.end();
    client.resume();
    await new Promise((resolve) => client.once('end', resolve));
    client.pause();
    const error = await rejectionOf(clientAuthenticate(client, KEY, { timeout: 0 }));
    expect(error.code).toBe('ERR_AUTH_PROTOCOL');
    const mp = await rejectionOf(answerChallenge(client, KEY, { timeout: 0 }));
    expect(mp.code).toBe('ERR_AUTH_PROTOCOL');
  });
});
