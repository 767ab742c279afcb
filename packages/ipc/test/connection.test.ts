// Node <-> Node through the public API: values, limits, timeouts, closing, authentication.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeHeader } from '../src/framing.js';
import {
  type Connection,
  connect,
  DeserializeError,
  IPC_DEFAULTS,
  type Listener,
  type ListenOptions,
  listen,
} from '../src/index.js';
import { tempDir, waitFor, withTimeout } from './helpers.js';

const authkey = randomBytes(32);
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(
  options: Partial<ListenOptions> = {},
): Promise<{ listener: Listener; port: number }> {
  const listener = await listen({
    host: '127.0.0.1',
    port: 0,
    authkey,
    ...options,
  } as ListenOptions);
  cleanups.push(() => listener.close());
  return { listener, port: (listener.address as { port: number }).port };
}

function track<T extends Connection | Socket>(value: T): T {
  cleanups.push(() => value.destroy());
  return value;
}

async function pair(options: Partial<ListenOptions> = {}): Promise<[Connection, Connection]> {
  const { listener, port } = await open(options);
  const client = track(await connect({ host: '127.0.0.1', port, authkey, ...options }));
  const server = track(await withTimeout(listener.accept(), 5_000, () => 'no accept'));
  return [client, server];
}

describe('send / recv', () => {
  it('carries structured values (Map, Set, Date, typed arrays, nested, cycles)', async () => {
    const [client, server] = await pair();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const value = {
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, { deep: [new Date(86_400_000), new Set(['x'])] }],
      ]),
      when: new Date('2026-11-26T12:00:00Z'),
      floats: new Float64Array([1.5, -2.25, Number.NaN]),
      bytes: new Uint8Array([0, 255]),
      big: 2n ** 70n,
      nested: { list: [null, undefined, 'text', { re: /ab+c/gi }] },
      cyclic,
    };
    await client.send(value);
    const received = await server.recv<typeof value>();
    expect(received.map.get(2)).toEqual({ deep: [new Date(86_400_000), new Set(['x'])] });
    expect(received.when).toBeInstanceOf(Date);
    expect(received.when.getTime()).toBe(value.when.getTime());
    expect(received.floats).toBeInstanceOf(Float64Array);
    expect([...received.floats].slice(0, 2)).toEqual([1.5, -2.25]);
    expect(received.bytes).toEqual(new Uint8Array([0, 255]));
    expect(received.big).toBe(2n ** 70n);
    expect(received.nested.list[3]).toEqual({ re: /ab+c/gi });
    expect((received.cyclic as { self: unknown }).self).toBe(received.cyclic);
    await server.send(received);
    expect((await client.recv<typeof value>()).map.get('a')).toBe(1);
  });

  it('keeps many messages in order, in flight at once', async () => {
    const [client, server] = await pair();
    const sent = Array.from({ length: 200 }, (_, i) => ({ i, pad: 'x'.repeat(i * 37) }));
    await Promise.all(sent.map((value) => client.send(value)));
    const received = await Promise.all(sent.map(() => server.recv<{ i: number }>()));
    expect(received.map((value) => value.i)).toEqual(sent.map((value) => value.i));
  });

  it('writes exact frames around the 16 KiB copy cut, alone or several in one tick', async () => {
    const { listener, port } = await open({ authkey: null });
    const raw = track(netConnect({ host: '127.0.0.1', port }));
    raw.on('error', () => undefined);
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    const conn = track(await listener.accept());
    const body = (n: number, seed: number) =>
      Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 255));
    const frame = (data: Uint8Array) => Buffer.concat([encodeHeader(data.byteLength), data]);
    const sizes = [0, 1, 16 * 1024, 16 * 1024 + 1, 70_000, 3];
    const bodies = sizes.map((n, i) => body(n, i));
    // Alone (one per tick), then all in one tick (the first written at once, the rest corked),
    // then a view at an offset into a larger buffer.
    for (const data of bodies) await conn.sendBytes(data);
    await Promise.all(bodies.map((data) => conn.sendBytes(data)));
    const backing = body(40_000, 9);
    const view = new Uint16Array(backing.buffer, backing.byteOffset + 2, 10_000);
    await conn.sendBytes(view);
    const expected = Buffer.concat([
      ...bodies.map(frame),
      ...bodies.map(frame),
      frame(backing.subarray(2, 20_002)),
    ]);
    await waitFor(
      () => chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0) >= expected.byteLength,
      5_000,
      'all frames',
    );
    expect(Buffer.concat(chunks).equals(expected)).toBe(true);
  });

  it('refuses values that cannot be serialized, and bytes that are not a value', async () => {
    const [client, server] = await pair();
    await expect(client.send({ fn: () => 1 })).rejects.toMatchObject({ code: 'ERR_SERIALIZE' });
    await client.sendBytes(Buffer.from('not v8'));
    const raw = (await server.recv().catch((error: unknown) => error)) as DeserializeError;
    expect(raw).toBeInstanceOf(DeserializeError);
    expect(raw).toMatchObject({ code: 'ERR_DESERIALIZE', byteLength: 6 });
    expect(raw.message).toMatch(/6-byte message .*read raw bytes with recvBytes\(\)/i);
    expect(raw.message).not.toMatch(/pickle/);
    // What Python's conn.send('hello') writes (pickle protocol 4, 3.8+'s default).
    await client.sendBytes(Buffer.from('80049509000000000000008c0568656c6c6f942e', 'hex'));
    const pickle = (await server.recv().catch((error: unknown) => error)) as DeserializeError;
    expect(pickle.message).toMatch(/Python pickle \(protocol 4, from Python's conn\.send\(\)\)/);
    expect(pickle.message).toMatch(/recvBytes\(\)/);
    await client.send('still fine');
    expect(await server.recv()).toBe('still fine');
  });
});

describe('limits and failures', () => {
  it('checks maxMessageSize on send and on the announced length', async () => {
    const [client, server] = await pair({ maxMessageSize: 1024 });
    await expect(client.sendBytes(new Uint8Array(1025))).rejects.toMatchObject({
      code: 'ERR_MESSAGE_TOO_LARGE',
    });
    await client.sendBytes(new Uint8Array(1024));
    expect((await server.recvBytes()).byteLength).toBe(1024);
    await client.sendBytes(new Uint8Array(1000));
    await expect(server.recvBytes({ maxLength: 999 })).rejects.toMatchObject({
      code: 'ERR_MESSAGE_TOO_LARGE',
      length: 1000,
      maxMessageSize: 999,
    });
    expect(server.closed).toBe(true);
  });

  it('a timeout loses nothing: the next recv gets the message, even after its header arrived', async () => {
    const { listener, port } = await open({ authkey: null });
    const raw = track(netConnect({ host: '127.0.0.1', port }));
    raw.on('error', () => undefined);
    const conn = track(await listener.accept());
    await expect(conn.recvBytes({ timeout: 30 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
    raw.write(Buffer.from([0, 0, 0, 5, 104, 101]));
    await expect(conn.recvBytes({ timeout: 100 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
    raw.write('llo');
    expect(Buffer.from(await conn.recvBytes({ timeout: 5_000 })).toString()).toBe('hello');
  });

  it('aborts a recv through its signal', async () => {
    const [client] = await pair();
    const controller = new AbortController();
    const pending = client.recvBytes({ signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('tells a close between messages (ERR_CONNECTION_CLOSED) from a truncated one (ERR_STREAM_EOF)', async () => {
    const { listener, port } = await open({ authkey: null });
    const raw = track(netConnect({ host: '127.0.0.1', port }));
    raw.on('error', () => undefined);
    const conn = track(await listener.accept());
    raw.end(Buffer.from([0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 9, 1]));
    expect([...(await conn.recvBytes())]).toEqual([1, 2, 3]);
    await expect(conn.recvBytes()).rejects.toMatchObject({ code: 'ERR_STREAM_EOF' });

    const [client, server] = await pair();
    client.close();
    await expect(server.recvBytes()).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
    await expect(client.sendBytes(new Uint8Array(1))).rejects.toMatchObject({
      code: 'ERR_CONNECTION_CLOSED',
    });
    await expect(client.recv()).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
  });

  it('reads the -1 escape (8-byte length) for any length, across timeouts', async () => {
    const { listener, port } = await open({ authkey: null });
    const raw = track(netConnect({ host: '127.0.0.1', port }));
    raw.on('error', () => undefined);
    const conn = track(await listener.accept());
    raw.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0]));
    await expect(conn.recvBytes({ timeout: 50 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
    raw.write(Buffer.from([0, 0, 0, 0, 5, 104, 105]));
    await expect(conn.recvBytes({ timeout: 50 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
    raw.write('!!!');
    expect(Buffer.from(await conn.recvBytes()).toString()).toBe('hi!!!');
    raw.write(Buffer.from([0, 0, 0, 2, 111, 107]));
    expect(Buffer.from(await conn.recvBytes()).toString()).toBe('ok');
  });

  it('writes the -1 escape header for messages over 0x7fffffff bytes, as CPython does', () => {
    expect([...encodeHeader(0x7fffffff)]).toEqual([0x7f, 0xff, 0xff, 0xff]);
    expect([...encodeHeader(0x80000000)]).toEqual([
      0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x80, 0, 0, 0,
    ]);
    expect([...encodeHeader(0)]).toEqual([0, 0, 0, 0]);
  });

  it('refuses a negative length other than the -1 escape', async () => {
    const { listener, port } = await open({ authkey: null });
    const raw = track(netConnect({ host: '127.0.0.1', port }));
    raw.on('error', () => undefined);
    raw.write(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    const conn = track(await listener.accept());
    await expect(conn.recvBytes()).rejects.toMatchObject({ code: 'ERR_MESSAGE_TOO_LARGE' });
  });
});

describe('authentication and endpoints', () => {
  it('requires an authkey for TCP unless authkey: null is passed', async () => {
    await expect(listen({ host: '127.0.0.1', port: 0 })).rejects.toMatchObject({
      code: 'ERR_AUTHKEY_REQUIRED',
    });
    await expect(connect({ host: '127.0.0.1', port: 1 })).rejects.toMatchObject({
      code: 'ERR_AUTHKEY_REQUIRED',
    });
    const [client, server] = await pair({ authkey: null });
    await client.send(1);
    expect(await server.recv()).toBe(1);
  });

  it('a wrong key is refused on both sides and the listener keeps serving', async () => {
    const failures: string[] = [];
    const { listener, port } = await open({ onAuthFailure: (error) => failures.push(error.code) });
    await expect(
      connect({ host: '127.0.0.1', port, authkey: randomBytes(32) }),
    ).rejects.toMatchObject({
      code: 'ERR_AUTH_REJECTED',
    });
    await waitFor(() => failures.length === 1, 5_000, 'onAuthFailure');
    expect(failures).toEqual(['ERR_AUTH_FAILED']);
    const conn = track(await connect({ host: '127.0.0.1', port, authkey }));
    const accepted = track(await listener.accept());
    await conn.send('ok');
    expect(await accepted.recv()).toBe('ok');
    // `accepted` counts every connection taken in (the shared stats shape); `authenticated`
    // the ones that passed the handshake.
    expect(listener.stats()).toMatchObject({
      accepted: 2,
      authenticated: 1,
      authFailures: 1,
      handshakeFailures: 1,
    });
  });

  it('a silent peer fails its handshake after handshakeTimeout; others are unaffected', async () => {
    const failures: string[] = [];
    const { listener, port } = await open({
      handshakeTimeout: 1_000,
      onAuthFailure: (error) => failures.push(error.code),
    });
    const silent = track(netConnect({ host: '127.0.0.1', port }));
    silent.on('error', () => undefined);
    const conn = track(await connect({ host: '127.0.0.1', port, authkey }));
    track(await listener.accept());
    await waitFor(() => failures.length === 1, 5_000, 'handshake timeout');
    expect(failures).toEqual(['ERR_AUTH_TIMEOUT']);
    expect(conn.closed).toBe(false);
  });

  it('serves Unix sockets without an authkey, and removes the file on close', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'ipc.sock');
    const listener = await listen({ path });
    expect(listener.address).toEqual({ path });
    const client = track(await connect({ path }));
    const server = track(await listener.accept());
    await client.send(new Map([[1, 'unix']]));
    expect(await server.recv()).toEqual(new Map([[1, 'unix']]));
    // close() gives accepted connections closeTimeout to finish; this one is done.
    server.close();
    await listener.close();
    expect(existsSync(path)).toBe(false);
  });

  it('reports connection failures as ERR_CONNECT', async () => {
    const { listener, port } = await open();
    await listener.close();
    await expect(connect({ host: '127.0.0.1', port, authkey })).rejects.toMatchObject({
      code: 'ERR_CONNECT',
    });
  });

  it('rejects bad options with ERR_INVALID_ARGUMENT', async () => {
    await expect(listen({ port: 70_000, authkey })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(listen({ port: 0, authkey, maxMessageSize: -1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(IPC_DEFAULTS.maxMessageSize).toBe(64 * 1024 * 1024);
  });
});

describe('Listener', () => {
  it('ends iteration and fails pending accepts when closed', async () => {
    const { listener, port } = await open();
    const pending = listener.accept();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const conn of listener) {
        seen.push(await conn.recv<number>());
        conn.close();
      }
    })();
    const a = track(await connect({ host: '127.0.0.1', port, authkey }));
    const b = track(await connect({ host: '127.0.0.1', port, authkey }));
    const first = track(await pending);
    await a.send(1);
    await b.send(2);
    const firstValue = await first.recv<number>();
    await waitFor(() => seen.length === 1, 5_000, 'the loop to receive');
    expect([firstValue, ...seen].sort()).toEqual([1, 2]);
    first.close(); // close() would give this accepted connection closeTimeout to finish
    await listener.close();
    await withTimeout(loop, 5_000, () => 'the loop did not end');
    await expect(listener.accept()).rejects.toMatchObject({ code: 'ERR_LISTENER_CLOSED' });
    expect(seen).toHaveLength(1);
  });
});
