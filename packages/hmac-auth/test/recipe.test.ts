import { createHmac, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { createStreamReader, type StreamReader } from '@net/stream-reader';
import { describe, expect, it } from 'vitest';
import {
  type ByteChannel,
  clientAuthenticate,
  type NetError,
  type SecretKey,
  serverAuthenticate,
} from '../src/index.js';
import {
  expectNoSecret,
  KEY,
  memoryPair,
  pairsForEachTest,
  rejectionOf,
  WRONG_KEY,
} from './helpers.js';

const pair = pairsForEachTest();

/** Runs serverAuthenticate and records the reason it reports on failure. */
function serve(socket: Duplex | ByteChannel, key: SecretKey, options = {}) {
  const failures: NetError[] = [];
  const result = serverAuthenticate(socket, key, {
    ...options,
    onFailure: (error) => failures.push(error),
  });
  return { result, failures };
}

describe.each(['tcp', 'memory'] as const)('recipe handshake over %s', (kind) => {
  it('authenticates a client with the same key and steals no bytes', async () => {
    const [client, server] = await pair(kind);
    const { result, failures } = serve(server, KEY);
    await clientAuthenticate(client, KEY);
    client.write('Hello World');
    expect(await result).toBe(true);
    expect(failures).toEqual([]);
    const hello = await createStreamReader(server, { timeout: 5_000 }).readExactly(11);
    expect(Buffer.from(hello).toString()).toBe('Hello World');
  });

  it('keeps bytes that arrived together with the digest for the caller', async () => {
    const [client, server] = await pair(kind);
    const reader = createStreamReader(client, { timeout: 5_000 });
    const { result } = serve(server, KEY);
    // One write carrying the digest and the first message, as a fast client sends them.
    const challenge = await reader.readExactly(32);
    reader.release({ unshift: true });
    const digest = createHmac('sha256', KEY).update(challenge).digest();
    client.write(Buffer.concat([digest, Buffer.from('Hello World')]));
    expect(await result).toBe(true);
    const rest = await createStreamReader(server, { timeout: 5_000 }).readExactly(11);
    expect(Buffer.from(rest).toString()).toBe('Hello World');
  });

  it('returns false with ERR_AUTH_FAILED for a client holding another key', async () => {
    const [client, server] = await pair(kind);
    const { result, failures } = serve(server, KEY);
    await clientAuthenticate(client, WRONG_KEY);
    expect(await result).toBe(false);
    expect(failures.map((f) => f.code)).toEqual(['ERR_AUTH_FAILED']);
    expectNoSecret(failures[0], KEY, WRONG_KEY);
  });

  it('mutual mode: both sides verify each other', async () => {
    const [client, server] = await pair(kind);
    const { result } = serve(server, KEY, { mutual: true });
    await clientAuthenticate(client, KEY, { mutual: true });
    client.write('after');
    expect(await result).toBe(true);
    const after = await createStreamReader(server, { timeout: 5_000 }).readExactly(5);
    expect(Buffer.from(after).toString()).toBe('after');
  });
});

describe('recipe handshake: failures', () => {
  it('mutual mode: a client rejects a server that holds the wrong key', async () => {
    const [client, server] = await pair('tcp');
    // The impostor accepts any digest: it cannot check it, it only sends its own proof.
    const impostor = (async () => {
      const reader = createStreamReader(server, { timeout: 5_000 });
      server.write(Buffer.alloc(32, 7));
      const reply = await reader.readExactly(64);
      server.write(
        createHmac('sha256', WRONG_KEY)
          .update(reply.subarray(32))
          .update(Buffer.alloc(32, 7))
          .digest(),
      );
    })();
    const error = await rejectionOf(clientAuthenticate(client, KEY, { mutual: true }));
    await impostor;
    expect(error.code).toBe('ERR_AUTH_FAILED');
    expectNoSecret(error, KEY, WRONG_KEY);
  });

  it('mutual mode: a client refused by the server (closed) gets ERR_AUTH_PROTOCOL', async () => {
    const [client, server] = await pair('memory');
    const { result, failures } = serve(server, WRONG_KEY, { mutual: true });
    const clientSide = rejectionOf(
      clientAuthenticate(client, KEY, { mutual: true, timeout: 2_000 }),
    );
    expect(await result).toBe(false);
    expect(failures[0]?.code).toBe('ERR_AUTH_FAILED');
    server.destroy(); // what the caller does on false
    expect((await clientSide).code).toBe('ERR_AUTH_PROTOCOL');
  });

  it('refuses a digest replayed on a new connection', async () => {
    // First connection: an eavesdropper records the challenge and the genuine digest.
    const [c1, s1] = await pair('tcp');
    const tap = createStreamReader(c1, { timeout: 5_000 });
    const first = serve(s1, KEY);
    const challenge = await tap.readExactly(32);
    const digest = createHmac('sha256', KEY).update(challenge).digest();
    c1.write(digest);
    expect(await first.result).toBe(true);
    // Second connection: the recorded digest is sent without knowing the key.
    const [c2, s2] = await pair('tcp');
    const second = serve(s2, KEY);
    const fresh = await createStreamReader(c2, { timeout: 5_000 }).readExactly(32);
    expect(Buffer.from(fresh).equals(challenge)).toBe(false);
    c2.write(digest);
    expect(await second.result).toBe(false);
    expect(second.failures[0]?.code).toBe('ERR_AUTH_FAILED');
  });

  it('returns false with ERR_AUTH_PROTOCOL for a digest truncated at every byte boundary', async () => {
    for (let sent = 0; sent < 32; sent++) {
      const [client, server] = memoryPair();
      const tap = createStreamReader(client, { timeout: 5_000 });
      const { result, failures } = serve(server, KEY);
      const challenge = await tap.readExactly(32);
      const digest = createHmac('sha256', KEY).update(challenge).digest();
      client.end(digest.subarray(0, sent));
      expect(await result).toBe(false);
      expect(failures[0]?.code).toBe('ERR_AUTH_PROTOCOL');
      expect((failures[0]?.cause as NetError | undefined)?.code).toBe('ERR_STREAM_EOF');
      expectNoSecret(failures[0], KEY);
      client.destroy();
      server.destroy();
    }
  });

  it('client: a challenge truncated at every byte boundary is ERR_AUTH_PROTOCOL', async () => {
    for (let sent = 0; sent < 32; sent++) {
      const [client, server] = memoryPair();
      server.end(Buffer.alloc(sent, 1));
      const error = await rejectionOf(clientAuthenticate(client, KEY));
      expect(error.code).toBe('ERR_AUTH_PROTOCOL');
      client.destroy();
      server.destroy();
    }
  });

  it('an oversized reply (a SHA-512 digest) fails, and its tail stays readable', async () => {
    const [client, server] = await pair('tcp');
    const tap = createStreamReader(client, { timeout: 5_000 });
    const { result, failures } = serve(server, KEY);
    const challenge = await tap.readExactly(32);
    client.write(createHmac('sha512', KEY).update(challenge).digest());
    expect(await result).toBe(false);
    expect(failures[0]?.code).toBe('ERR_AUTH_FAILED');
    const tail = await createStreamReader(server, { timeout: 5_000 }).readExactly(32);
    expect(tail.byteLength).toBe(32);
  });

  it('returns false with ERR_AUTH_TIMEOUT for a client that sends nothing', async () => {
    const [, server] = await pair('tcp');
    const { result, failures } = serve(server, KEY, { timeout: 150 });
    expect(await result).toBe(false);
    expect(failures[0]?.code).toBe('ERR_AUTH_TIMEOUT');
    expect((failures[0] as NetError & { timeout: number }).timeout).toBe(150);
  });

  it('client: ERR_AUTH_TIMEOUT when the server sends no challenge', async () => {
    const [client] = await pair('tcp');
    const error = await rejectionOf(clientAuthenticate(client, KEY, { timeout: 150 }));
    expect(error.code).toBe('ERR_AUTH_TIMEOUT');
    expectNoSecret(error, KEY);
  });

  it('client: ERR_AUTH_TIMEOUT waiting for the mutual proof; the bytes stay buffered', async () => {
    const [client, server] = await pair('memory');
    server.write(Buffer.alloc(32, 3));
    const error = await rejectionOf(
      clientAuthenticate(client, KEY, { timeout: 150, mutual: true }),
    );
    expect(error.code).toBe('ERR_AUTH_TIMEOUT');
  });

  it('rejects with ERR_ABORTED when the signal fires, on both sides', async () => {
    const [, server] = await pair('tcp'); // a client that never answers
    const [client] = await pair('tcp'); // a server that never challenges
    const serverAbort = new AbortController();
    const clientAbort = new AbortController();
    const serverSide = rejectionOf(serverAuthenticate(server, KEY, { signal: serverAbort.signal }));
    const clientSide = rejectionOf(
      clientAuthenticate(client, KEY, { signal: clientAbort.signal, mutual: true }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const reason = new Error('shutting down');
    serverAbort.abort(reason);
    const serverError = await serverSide;
    expect(serverError.code).toBe('ERR_ABORTED');
    expect(serverError.cause).toBe(reason);
    clientAbort.abort();
    expect((await clientSide).code).toBe('ERR_ABORTED');
  });

  it('an already aborted signal rejects before anything is sent', async () => {
    const [client, server] = memoryPair();
    const error = await rejectionOf(
      serverAuthenticate(server, KEY, { signal: AbortSignal.abort() }),
    );
    expect(error.code).toBe('ERR_ABORTED');
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.readableLength).toBe(0); // no challenge was written
  });

  it('a connection reset during the handshake is ERR_AUTH_CONNECTION (server: false)', async () => {
    const [client, server] = await pair('memory');
    const { result, failures } = serve(server, KEY);
    server.destroy(new Error('ECONNRESET simulated'));
    expect(await result).toBe(false);
    expect(['ERR_AUTH_CONNECTION', 'ERR_AUTH_PROTOCOL']).toContain(failures[0]?.code);
    client.destroy();
  });

  it.each([
    ['sha384', 48],
    ['sha512', 64],
    ['sha1', 20],
    ['md5', 16],
  ] as const)('digest %s: the client sends exactly %i bytes of HMAC', async (digest, size) => {
    const [client, server] = memoryPair();
    const tap = createStreamReader(server, { timeout: 5_000 });
    server.write(Buffer.alloc(48, 9));
    await clientAuthenticate(client, KEY, { digest, challengeLength: 48 });
    const reply = await tap.readExactly(size);
    expect(Buffer.from(reply)).toEqual(
      createHmac(digest, KEY).update(Buffer.alloc(48, 9)).digest(),
    );
    expect(tap.buffered).toBe(0);
    const [c2, s2] = memoryPair();
    const { result } = serve(s2, KEY, { digest, challengeLength: 48 });
    await clientAuthenticate(c2, KEY, { digest, challengeLength: 48 });
    expect(await result).toBe(true);
  });

  it('takes the key as bytes, a UTF-8 string or a secret KeyObject', async () => {
    for (const serverKey of [KEY.toString('utf8'), createSecretKey(KEY)]) {
      const [client, server] = memoryPair();
      const { result } = serve(server, serverKey as never);
      await clientAuthenticate(client, KEY);
      expect(await result).toBe(true);
    }
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const [, server] = memoryPair();
    expect((await rejectionOf(serverAuthenticate(server, publicKey))).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('sends a fresh 32-byte challenge on every connection', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const [client, server] = memoryPair();
      const tap = createStreamReader(client, { timeout: 5_000 });
      const { result } = serve(server, KEY, { timeout: 200 });
      seen.add(Buffer.from(await tap.readExactly(32)).toString('hex'));
      client.end();
      expect(await result).toBe(false);
    }
    expect(seen.size).toBe(5);
  });

  it('rejects invalid arguments with ERR_INVALID_ARGUMENT', async () => {
    const [, server] = memoryPair();
    const cases: Promise<unknown>[] = [
      serverAuthenticate(server, Buffer.alloc(0)),
      serverAuthenticate(server, 42 as never),
      serverAuthenticate(server, KEY, { digest: 'sha3' as never }),
      serverAuthenticate(server, KEY, { challengeLength: 8 }),
      serverAuthenticate(server, KEY, { timeout: -1 }),
      serverAuthenticate({} as never, KEY),
      clientAuthenticate({} as never, KEY),
    ];
    for (const pending of cases) {
      const error = await rejectionOf(pending);
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
      expectNoSecret(error, KEY);
    }
  });
});

describe('recipe handshake over a ByteChannel', () => {
  /** A channel like @net/tcp-server's connection: it owns a StreamReader, write returns a promise. */
  function channelOf(stream: Duplex): ByteChannel & { reader: StreamReader; writes: number } {
    const reader = createStreamReader(stream);
    const channel = {
      reader,
      writes: 0,
      readExactly: (n: number, options?: { timeout?: number; signal?: AbortSignal }) =>
        reader.readExactly(n, options),
      write: async (data: Uint8Array) => {
        channel.writes++;
        await new Promise<void>((resolve, reject) =>
          stream.write(data, (error) => (error ? reject(error) : resolve())),
        );
      },
    };
    return channel;
  }

  it('authenticates both ways and leaves later bytes to the channel', async () => {
    const [client, server] = memoryPair();
    const serverChannel = channelOf(server);
    const clientChannel = channelOf(client);
    const { result } = serve(serverChannel, KEY, { mutual: true });
    await clientAuthenticate(clientChannel, KEY, { mutual: true });
    await clientChannel.write(Buffer.from('next'));
    expect(await result).toBe(true);
    expect(Buffer.from(await serverChannel.reader.readExactly(4)).toString()).toBe('next');
    expect(serverChannel.writes).toBe(2);
  });

  it('times out even when the channel ignores the signal', async () => {
    const channel: ByteChannel = {
      readExactly: () => new Promise(() => undefined),
      write: () => undefined,
    };
    const error = await rejectionOf(clientAuthenticate(channel, KEY, { timeout: 100 }));
    expect(error.code).toBe('ERR_AUTH_TIMEOUT');
  });

  it('times out when a channel write never settles', async () => {
    const channel: ByteChannel = {
      readExactly: () => Promise.resolve(new Uint8Array(32)),
      write: () => new Promise(() => undefined),
    };
    const error = await rejectionOf(clientAuthenticate(channel, KEY, { timeout: 100 }));
    expect(error.code).toBe('ERR_AUTH_TIMEOUT');
  });

  it('maps a channel read failure to ERR_AUTH_CONNECTION with the cause', async () => {
    const failure = new Error('reset by peer');
    const channel: ByteChannel = {
      readExactly: () => Promise.reject(failure),
      write: () => undefined,
    };
    const failures: NetError[] = [];
    expect(await serverAuthenticate(channel, KEY, { onFailure: (e) => failures.push(e) })).toBe(
      false,
    );
    expect(failures[0]?.code).toBe('ERR_AUTH_CONNECTION');
    expect(failures[0]?.cause).toBe(failure);
  });
});

it('the server side never hangs when the client closes right away', async () => {
  const [client, server] = await pair('tcp');
  const { result, failures } = serve(server, KEY);
  client.end();
  await once(client, 'finish');
  expect(await result).toBe(false);
  expect(failures[0]?.code).toBe('ERR_AUTH_PROTOCOL');
});
