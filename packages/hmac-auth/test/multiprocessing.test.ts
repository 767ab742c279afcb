import { createHmac } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { createStreamReader } from '@net/stream-reader';
import { describe, expect, it } from 'vitest';
import {
  answerChallenge,
  deliverChallenge,
  type MessageConnection,
  type MultiprocessingDigest,
} from '../src/index.js';
import {
  expectNoSecret,
  frame,
  KEY,
  memoryPair,
  pairsForEachTest,
  rejectionOf,
  WRONG_KEY,
} from './helpers.js';

const pair = pairsForEachTest();

/** A hand-written peer: reads and writes raw multiprocessing frames on `stream`. */
function peer(stream: Duplex) {
  const reader = createStreamReader(stream, { timeout: 5_000 });
  return {
    recv: async () => Buffer.from((await reader.readFrame({ maxLength: 1024 })) ?? Buffer.alloc(0)),
    send: (body: Uint8Array | string) => stream.write(frame(body)),
    raw: (bytes: Uint8Array) => stream.write(bytes),
  };
}

const WELCOME = Buffer.from('#WELCOME#');
const FAILURE = Buffer.from('#FAILURE#');

describe.each(['tcp', 'memory'] as const)('multiprocessing handshake over %s', (kind) => {
  it('Listener order (deliver, answer) against Client order (answer, deliver); frames stay intact', async () => {
    const [client, server] = await pair(kind);
    const serving = (async () => {
      await deliverChallenge(server, KEY);
      await answerChallenge(server, KEY);
    })();
    await answerChallenge(client, KEY);
    await deliverChallenge(client, KEY);
    client.write(frame('after the handshake'));
    await serving;
    const message = await createStreamReader(server, { timeout: 5_000 }).readFrame();
    expect(Buffer.from(message ?? []).toString()).toBe('after the handshake');
  });

  it('wrong key: the deliverer rejects with ERR_AUTH_FAILED, the answerer with ERR_AUTH_REJECTED', async () => {
    const [client, server] = await pair(kind);
    const delivered = rejectionOf(deliverChallenge(server, KEY));
    const answered = await rejectionOf(answerChallenge(client, WRONG_KEY));
    const deliverError = await delivered;
    expect(deliverError.code).toBe('ERR_AUTH_FAILED');
    expect(answered.code).toBe('ERR_AUTH_REJECTED');
    expectNoSecret(deliverError, KEY, WRONG_KEY);
    expectNoSecret(answered, KEY, WRONG_KEY);
  });
});

describe('deliverChallenge', () => {
  it.each(['sha256', 'sha384', 'sha3_256', 'sha3_384', 'md5'] as MultiprocessingDigest[])(
    'modern challenge asking for %s: {digest} + 40 random bytes, prefixed reply verified',
    async (digest) => {
      const [client, server] = memoryPair();
      const delivered = deliverChallenge(server, KEY, { digest });
      const fake = peer(client);
      const challenge = await fake.recv();
      expect(challenge.subarray(0, 11).toString()).toBe('#CHALLENGE#');
      const message = challenge.subarray(11);
      expect(message.subarray(0, digest.length + 2).toString()).toBe(`{${digest}}`);
      expect(message.byteLength).toBe(digest.length + 2 + 40);
      const node = digest.replace('_', '-');
      fake.send(
        Buffer.concat([Buffer.from(`{${digest}}`), createHmac(node, KEY).update(message).digest()]),
      );
      await delivered;
      expect(await fake.recv()).toEqual(WELCOME);
      // The answerer picks the digest the challenge names.
      const [c2, s2] = memoryPair();
      const again = deliverChallenge(s2, KEY, { digest });
      await answerChallenge(c2, KEY);
      await again;
    },
  );

  it('legacy protocol: 20 random bytes, raw HMAC-MD5 reply accepted', async () => {
    const [client, server] = memoryPair();
    const delivered = deliverChallenge(server, KEY, { protocol: 'legacy' });
    const fake = peer(client);
    const challenge = await fake.recv();
    expect(challenge.byteLength).toBe(11 + 20);
    fake.send(createHmac('md5', KEY).update(challenge.subarray(11)).digest());
    await delivered;
    expect(await fake.recv()).toEqual(WELCOME);
  });

  it('accepts an unprefixed 16-byte MD5 reply to a modern challenge (Python <= 3.11 clients)', async () => {
    const [client, server] = memoryPair();
    const delivered = deliverChallenge(server, KEY);
    const fake = peer(client);
    const message = (await fake.recv()).subarray(11);
    fake.send(createHmac('md5', KEY).update(message).digest());
    await delivered;
    expect(await fake.recv()).toEqual(WELCOME);
  });

  it('acceptDigests without md5 refuses a legacy reply with #FAILURE# and ERR_AUTH_UNSUPPORTED_DIGEST', async () => {
    const [client, server] = memoryPair();
    const delivered = rejectionOf(deliverChallenge(server, KEY, { acceptDigests: ['sha256'] }));
    const fake = peer(client);
    const message = (await fake.recv()).subarray(11);
    fake.send(createHmac('md5', KEY).update(message).digest());
    const error = await delivered;
    expect(error.code).toBe('ERR_AUTH_UNSUPPORTED_DIGEST');
    expect(await fake.recv()).toEqual(FAILURE);
  });

  it('a reply of 257 bytes is refused (ERR_AUTH_PROTOCOL) before it is read', async () => {
    const [client, server] = memoryPair();
    const delivered = rejectionOf(deliverChallenge(server, KEY));
    const fake = peer(client);
    await fake.recv();
    fake.send(Buffer.alloc(257, 1));
    const error = await delivered;
    expect(error.code).toBe('ERR_AUTH_PROTOCOL');
    expect((error.cause as { code: string }).code).toBe('ERR_MAX_LENGTH');
  });

  it('a negative length header (the >2 GiB escape) is refused with ERR_AUTH_PROTOCOL', async () => {
    const [client, server] = memoryPair();
    const delivered = rejectionOf(deliverChallenge(server, KEY));
    const fake = peer(client);
    await fake.recv();
    fake.raw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 32]));
    expect((await delivered).code).toBe('ERR_AUTH_PROTOCOL');
  });

  it.each([
    ['a 256-byte reply without digest prefix', Buffer.alloc(256, 0x41)],
    ['an unterminated {digest prefix', Buffer.from(`{sha256${'x'.repeat(40)}`)],
  ])('%s gets #FAILURE# and ERR_AUTH_PROTOCOL', async (_, reply) => {
    const [client, server] = memoryPair();
    const delivered = rejectionOf(deliverChallenge(server, KEY));
    const fake = peer(client);
    await fake.recv();
    fake.send(reply);
    expect((await delivered).code).toBe('ERR_AUTH_PROTOCOL');
    expect(await fake.recv()).toEqual(FAILURE);
  });

  it('a prefixed reply with the wrong length is ERR_AUTH_FAILED', async () => {
    const [client, server] = memoryPair();
    const delivered = rejectionOf(deliverChallenge(server, KEY));
    const fake = peer(client);
    const message = (await fake.recv()).subarray(11);
    const mac = createHmac('sha256', KEY).update(message).digest();
    fake.send(Buffer.concat([Buffer.from('{sha256}'), mac.subarray(0, 31)]));
    expect((await delivered).code).toBe('ERR_AUTH_FAILED');
  });

  it('a reply truncated at every byte boundary is ERR_AUTH_PROTOCOL', async () => {
    for (let cut = 0; cut < 4 + 8 + 32; cut++) {
      const [client, server] = memoryPair();
      const delivered = rejectionOf(deliverChallenge(server, KEY));
      const fake = peer(client);
      const message = (await fake.recv()).subarray(11);
      const mac = createHmac('sha256', KEY).update(message).digest();
      const reply = frame(Buffer.concat([Buffer.from('{sha256}'), mac]));
      client.end(reply.subarray(0, cut));
      const error = await delivered;
      expect(error.code).toBe('ERR_AUTH_PROTOCOL');
      client.destroy();
      server.destroy();
    }
  });

  it('a silent peer is ERR_AUTH_TIMEOUT', async () => {
    const [, server] = await pair('tcp');
    const error = await rejectionOf(deliverChallenge(server, KEY, { timeout: 150 }));
    expect(error.code).toBe('ERR_AUTH_TIMEOUT');
  });

  it('an aborted signal is ERR_ABORTED', async () => {
    const [, server] = await pair('tcp');
    const controller = new AbortController();
    const pending = rejectionOf(deliverChallenge(server, KEY, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    expect((await pending).code).toBe('ERR_ABORTED');
  });

  it('rejects unknown digests and protocols with ERR_INVALID_ARGUMENT', async () => {
    const [, server] = memoryPair();
    for (const options of [
      { digest: 'sha512' as never },
      { acceptDigests: ['sha1' as never] },
      { protocol: 'v2' as never },
    ]) {
      expect((await rejectionOf(deliverChallenge(server, KEY, options))).code).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    }
  });
});

describe('answerChallenge', () => {
  it('answers a legacy 20-byte challenge with raw HMAC-MD5', async () => {
    const [client, server] = memoryPair();
    const answered = answerChallenge(client, KEY);
    const fake = peer(server);
    const random = Buffer.alloc(20, 5);
    fake.send(Buffer.concat([Buffer.from('#CHALLENGE#'), random]));
    expect(await fake.recv()).toEqual(createHmac('md5', KEY).update(random).digest());
    fake.send(WELCOME);
    await answered;
  });

  it('answers a {sha256} challenge with {sha256} + HMAC over the whole message', async () => {
    const [client, server] = memoryPair();
    const answered = answerChallenge(client, KEY);
    const fake = peer(server);
    const message = Buffer.concat([Buffer.from('{sha256}'), Buffer.alloc(40, 6)]);
    fake.send(Buffer.concat([Buffer.from('#CHALLENGE#'), message]));
    const expected = createHmac('sha256', KEY).update(message).digest();
    expect(await fake.recv()).toEqual(Buffer.concat([Buffer.from('{sha256}'), expected]));
    fake.send(WELCOME);
    await answered;
  });

  it.each([
    [
      'a message without #CHALLENGE#',
      Buffer.from('#HELLO#0123456789012345678901234'),
      'ERR_AUTH_PROTOCOL',
    ],
    ['a 19-byte challenge', Buffer.from(`#CHALLENGE#${'x'.repeat(19)}`), 'ERR_AUTH_PROTOCOL'],
    [
      'an unprefixed 30-byte challenge',
      Buffer.from(`#CHALLENGE#${'x'.repeat(30)}`),
      'ERR_AUTH_PROTOCOL',
    ],
    [
      'a {sha1} challenge',
      Buffer.from(`#CHALLENGE#{sha1}${'x'.repeat(40)}`),
      'ERR_AUTH_UNSUPPORTED_DIGEST',
    ],
  ])('%s is refused', async (_, challenge, code) => {
    const [client, server] = memoryPair();
    const answered = rejectionOf(answerChallenge(client, KEY));
    peer(server).send(challenge);
    expect((await answered).code).toBe(code);
  });

  it('acceptDigests without md5 refuses a legacy challenge', async () => {
    const [client, server] = memoryPair();
    const answered = rejectionOf(answerChallenge(client, KEY, { acceptDigests: ['sha256'] }));
    peer(server).send(Buffer.concat([Buffer.from('#CHALLENGE#'), Buffer.alloc(20)]));
    expect((await answered).code).toBe('ERR_AUTH_UNSUPPORTED_DIGEST');
  });

  it('an answer other than #WELCOME# / #FAILURE# is ERR_AUTH_PROTOCOL', async () => {
    const [client, server] = memoryPair();
    const answered = rejectionOf(answerChallenge(client, KEY));
    const fake = peer(server);
    fake.send(Buffer.concat([Buffer.from('#CHALLENGE#'), Buffer.alloc(20)]));
    await fake.recv();
    fake.send('#MAYBE#');
    expect((await answered).code).toBe('ERR_AUTH_PROTOCOL');
  });

  it('a challenge truncated at every byte boundary is ERR_AUTH_PROTOCOL', async () => {
    const challenge = frame(
      Buffer.concat([Buffer.from('#CHALLENGE#{sha256}'), Buffer.alloc(40, 1)]),
    );
    for (let cut = 0; cut < challenge.byteLength; cut++) {
      const [client, server] = memoryPair();
      const answered = rejectionOf(answerChallenge(client, KEY));
      server.end(challenge.subarray(0, cut));
      expect((await answered).code).toBe('ERR_AUTH_PROTOCOL');
      client.destroy();
      server.destroy();
    }
  });

  it('a message sent together with #WELCOME# stays readable afterwards', async () => {
    const [client, server] = await pair('tcp');
    const answered = answerChallenge(client, KEY);
    const fake = peer(server);
    fake.send(Buffer.concat([Buffer.from('#CHALLENGE#'), Buffer.alloc(20, 4)]));
    await fake.recv();
    fake.raw(Buffer.concat([frame(WELCOME), frame('first message')]));
    await answered;
    const next = await createStreamReader(client, { timeout: 5_000 }).readFrame();
    expect(Buffer.from(next ?? []).toString()).toBe('first message');
  });

  it('a silent peer is ERR_AUTH_TIMEOUT', async () => {
    const [client] = await pair('tcp');
    expect((await rejectionOf(answerChallenge(client, KEY, { timeout: 150 }))).code).toBe(
      'ERR_AUTH_TIMEOUT',
    );
  });
});

describe('over a MessageConnection', () => {
  /** Two in-memory message connections; sendBytes returns a promise. */
  function messagePair(): [
    MessageConnection & { sent: number },
    MessageConnection & { sent: number },
  ] {
    const queues: [Uint8Array[], Uint8Array[]] = [[], []];
    const waiters: [((message: Uint8Array) => void)[], ((message: Uint8Array) => void)[]] = [
      [],
      [],
    ];
    const make = (me: 0 | 1) => {
      const other = (1 - me) as 0 | 1;
      const connection = {
        sent: 0,
        sendBytes: async (data: Uint8Array) => {
          connection.sent++;
          const waiter = waiters[other].shift();
          if (waiter) waiter(Uint8Array.from(data));
          else queues[other].push(Uint8Array.from(data));
        },
        recvBytes: (options?: { signal?: AbortSignal }) => {
          const queued = queues[me].shift();
          if (queued) return Promise.resolve(queued);
          return new Promise<Uint8Array>((resolve, reject) => {
            waiters[me].push(resolve);
            options?.signal?.addEventListener('abort', () => reject(options.signal?.reason));
          });
        },
      };
      return connection;
    };
    return [make(0), make(1)];
  }

  it('runs both handshakes, in Listener and Client order', async () => {
    const [a, b] = messagePair();
    const serving = (async () => {
      await deliverChallenge(a, KEY);
      await answerChallenge(a, KEY);
    })();
    await answerChallenge(b, KEY);
    await deliverChallenge(b, KEY);
    await serving;
    expect(a.sent).toBe(3);
    expect(b.sent).toBe(3);
  });

  it('refuses an oversized message even if the connection does not enforce maxLength', async () => {
    const [a, b] = messagePair();
    const delivered = rejectionOf(deliverChallenge(a, KEY));
    await b.recvBytes();
    await b.sendBytes(Buffer.alloc(300));
    expect((await delivered).code).toBe('ERR_AUTH_PROTOCOL');
  });

  it('times out on a silent peer', async () => {
    const [a] = messagePair();
    expect((await rejectionOf(answerChallenge(a, KEY, { timeout: 100 }))).code).toBe(
      'ERR_AUTH_TIMEOUT',
    );
  });
});
