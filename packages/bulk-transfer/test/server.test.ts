import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { holdSilentClients } from '@net/test-peers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BULK_SERVER_DEFAULTS,
  type BulkArray,
  type BulkConnection,
  type BulkReceiver,
  type BulkServer,
  type BulkServerOptions,
  connectForBulk,
  createBulkServer,
  type ErrorContext,
  recvArray,
  sendArray,
} from '../src/index.js';
import { cleanupList, npyBytes, recvOne } from './helpers.js';

const cleanup = cleanupList();
const servers: BulkServer[] = [];
afterEach(async () => {
  cleanup.run();
  await Promise.all(servers.splice(0).map((server) => server.close({ timeout: 500 })));
});

async function start(
  handler: (conn: BulkConnection) => unknown,
  options: BulkServerOptions = {},
): Promise<{ server: BulkServer; port: number }> {
  const server = createBulkServer(handler, options);
  servers.push(server);
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  return { server, port };
}

/** Echoes every array until the client ends. */
async function echo(conn: BulkConnection): Promise<void> {
  for (let got = await conn.recvArray(); got !== null; got = await conn.recvArray()) {
    await conn.sendArray(got.array, { shape: got.shape, dtype: got.dtype });
  }
}

async function client(port: number): Promise<BulkReceiver> {
  const receiver = await connectForBulk({ port, host: '127.0.0.1' });
  cleanup.add(() => receiver.socket.destroy());
  return receiver;
}

async function rawClient(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  socket.resume(); // whatever arrives is dropped, so that the end is seen
  cleanup.add(() => socket.destroy());
  await once(socket, 'connect');
  return socket;
}

/** Polls `condition` every 5 ms, failing after `ms`. */
async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(5);
  }
}

/** Resolves once `socket` has closed, failing after `ms`. */
async function closed(socket: Socket, ms = 5_000): Promise<void> {
  if (socket.destroyed) return;
  await Promise.race([
    once(socket, 'close'),
    sleep(ms).then(() => {
      throw new Error('socket did not close');
    }),
  ]);
}

/** Sends one array and reads the echo back. */
async function roundTrip(receiver: BulkReceiver, array: ArrayBufferView): Promise<BulkArray> {
  await sendArray(receiver, array);
  return (await recvArray(receiver, { timeout: 5_000 })) as BulkArray;
}

const codeOf = (error: unknown) => (error as { code?: string } | undefined)?.code;

describe('createBulkServer: receiving, echoing, the end', () => {
  it('echoes arrays of several dtypes and shapes; recvArray() is null at a clean end; memory goes back', async () => {
    const ends: Array<BulkArray | null> = [];
    const { server, port } = await start(async (conn) => {
      for (;;) {
        const got = await conn.recvArray();
        if (got === null) {
          ends.push(null);
          return;
        }
        expect(conn.remoteAddress).toBe('127.0.0.1');
        expect(server.stats().memoryInUse).toBe(got.bytes);
        await conn.sendArray(got.array, { shape: got.shape, dtype: got.dtype });
      }
    });
    const receiver = await client(port);
    const matrix = new Float64Array(250_000).map((_, i) => i / 3);
    await sendArray(receiver, matrix, { shape: [500, 500] });
    const back = await recvOne(receiver, { timeout: 5_000 });
    expect(back).toMatchObject({ dtype: 'float64', shape: [500, 500] });
    expect(back.array[249_999]).toBe(matrix[249_999]);
    const ints = await roundTrip(receiver, BigInt64Array.of(-1n, 2n ** 62n));
    expect(Array.from(ints.array as BigInt64Array)).toEqual([-1n, 2n ** 62n]);
    const empty = await roundTrip(receiver, new Int32Array(0));
    expect(empty.shape).toEqual([0]);
    receiver.socket.end();
    await closed(receiver.socket);
    await waitFor(() => ends.length === 1, 2_000, 'handler saw the end');
    expect(server.stats()).toMatchObject({
      arrays: 3,
      arrayBytes: 250_000 * 8 + 2 * 8 + 0,
      memoryInUse: 0,
      arraysHeld: 0,
      handlerErrors: 0,
      handshakeFailures: 0,
    });
  });

  it('undefined options take their defaults; bad values are ERR_INVALID_ARGUMENT', () => {
    const server = createBulkServer(echo, {
      memoryBudget: undefined,
      headerTimeout: undefined,
      maxConnections: undefined,
    });
    expect(server.stats()).toMatchObject({
      memoryBudget: BULK_SERVER_DEFAULTS.memoryBudget,
      memoryInUse: 0,
      active: 0,
    });
    const bad: BulkServerOptions[] = [
      { memoryBudget: 0 },
      { maxBytes: -1 },
      { maxBytes: 1.5 },
      { headerTimeout: 2 ** 31 },
      { admissionTimeout: -1 },
      { bodyTimeout: Number.NaN },
      { readAhead: 0 },
      { maxConnections: -1 },
      { idleTimeout: 2 ** 31 },
    ];
    for (const options of bad) {
      expect(() => createBulkServer(echo, options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
    expect(() => createBulkServer(echo, { headerTimeout: 2 ** 31 - 1 })).not.toThrow();
    expect(() => createBulkServer(undefined as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('the memory budget', () => {
  /** A handler that retains every array and hands its release to the test. */
  function retaining() {
    const held: Array<{ bytes: number; release: () => void }> = [];
    const errors: unknown[] = [];
    const handler = async (conn: BulkConnection) => {
      try {
        for (let got = await conn.recvArray(); got !== null; got = await conn.recvArray()) {
          held.push({ bytes: got.bytes, release: got.retain() });
        }
      } catch (error) {
        errors.push(error);
        throw error;
      }
    };
    return { held, errors, handler };
  }

  it('arrays summing to exactly the budget are admitted together; one more byte waits, then is refused after admissionTimeout; released memory lets a waiter in', async () => {
    const { held, errors, handler } = retaining();
    const { server, port } = await start(handler, {
      memoryBudget: 3000,
      maxBytes: 3000,
      admissionTimeout: 400,
    });
    const a = await client(port);
    const b = await client(port);
    await sendArray(a, new Uint8Array(1000));
    await sendArray(b, new Uint8Array(2000));
    await waitFor(() => held.length === 2, 3_000, 'both admitted');
    expect(server.stats()).toMatchObject({ memoryInUse: 3000, arraysHeld: 2, admissionWaits: 0 });

    // One byte more than the budget holds: it waits, then is refused.
    const c = await client(port);
    await sendArray(c, new Uint8Array(1));
    await waitFor(() => server.stats().admissionWaiting === 1, 3_000, 'c waits');
    await closed(c.socket, 3_000);
    expect(errors.map(codeOf)).toEqual(['ERR_TIMEOUT']);
    expect(errors[0]).toMatchObject({
      name: 'AdmissionTimeoutError',
      bytes: 1,
      memoryBudget: 3000,
    });
    expect(server.stats()).toMatchObject({
      memoryInUse: 3000,
      admissionWaits: 1,
      admissionRefusals: 1,
      admissionWaiting: 0,
      handlerErrors: 0,
    });

    // Another one-byte array waits, and gets in when 1000 bytes come back.
    const d = await client(port);
    await sendArray(d, new Uint8Array(1));
    await waitFor(() => server.stats().admissionWaiting === 1, 3_000, 'd waits');
    held[0]!.release();
    await waitFor(() => held.length === 3, 3_000, 'd admitted');
    expect(server.stats().memoryInUse).toBe(2001);
    // a is still served: 999 more bytes fill the budget exactly.
    await sendArray(a, new Uint8Array(999));
    await waitFor(() => held.length === 4, 3_000, 'a admitted again');
    expect(server.stats()).toMatchObject({ memoryInUse: 3000, admissionRefusals: 1 });
    for (const { release } of held) release();
    expect(server.stats()).toMatchObject({ memoryInUse: 0, arraysHeld: 0 });
  });

  it('an array over memoryBudget is refused at once, one of exactly memoryBudget admitted', async () => {
    const errors: unknown[] = [];
    const { server, port } = await start(
      async (conn) => {
        try {
          await echo(conn);
        } catch (error) {
          errors.push(error);
          throw error;
        }
      },
      { memoryBudget: 1000, maxBytes: 5000, admissionTimeout: 0 },
    );
    const fits = await client(port);
    expect((await roundTrip(fits, new Uint8Array(1000))).array.byteLength).toBe(1000);
    const over = await client(port);
    await sendArray(over, new Uint8Array(1001));
    await closed(over.socket);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'ERR_ARRAY_TOO_LARGE',
      option: 'memoryBudget',
      bytes: 1001n,
    });
    expect(server.stats()).toMatchObject({ admissionWaits: 0, admissionRefusals: 1 });
  });

  it('maxBytes at its boundary for a 1-byte and an 8-byte dtype: exactly maxBytes is echoed, one more element is refused before allocating', async () => {
    const errors: unknown[] = [];
    const { server, port } = await start(
      async (conn) => {
        try {
          await echo(conn);
        } catch (error) {
          errors.push(error);
          throw error;
        }
      },
      { maxBytes: 800, memoryBudget: 10_000 },
    );
    const cases: Array<[ArrayBufferView, ArrayBufferView, bigint]> = [
      [new Uint8Array(800).fill(7), new Uint8Array(801), 801n],
      [new Float64Array(100).fill(2.5), new Float64Array(101), 808n],
      [new BigInt64Array(100).fill(-3n), new BigInt64Array(101), 808n],
    ];
    for (const [atLimit, over, overBytes] of cases) {
      const ok = await client(port);
      const back = await roundTrip(ok, atLimit);
      expect(back.array.byteLength).toBe(800);
      expect(Buffer.from(back.array.buffer)).toEqual(Buffer.from(atLimit.buffer));
      const refused = await client(port);
      const before = errors.length;
      await sendArray(refused, over);
      await closed(refused.socket);
      await waitFor(() => errors.length === before + 1, 2_000, 'refusal seen');
      expect(errors.at(-1)).toMatchObject({
        code: 'ERR_ARRAY_TOO_LARGE',
        option: 'maxBytes',
        bytes: overBytes,
      });
    }
    expect(server.stats()).toMatchObject({
      admissionRefusals: 3,
      memoryInUse: 0,
      handlerErrors: 0,
      arrays: 3,
    });
  });

  it('a retained array keeps its share after the connection is gone, until released (twice is harmless); an unretained one is released when the client goes', async () => {
    let release: (() => void) | undefined;
    let lateRetain: unknown;
    const { server, port } = await start(async (conn) => {
      const first = await conn.recvArray();
      release = first!.retain();
      expect(first!.retain()).toBe(release);
      const second = await conn.recvArray(); // not retained: held until the next call or the end
      const third = await conn.recvArray();
      try {
        second!.retain();
      } catch (error) {
        lateRetain = error;
      }
      expect(third).not.toBeNull();
      // Still holding the third array (not retained): a send the client never takes, until
      // the client goes away.
      await conn.sendArray(new Uint8Array(64 << 20)).catch(() => undefined);
      if (!conn.signal.aborted) {
        await new Promise((resolve) => conn.signal.addEventListener('abort', resolve));
      }
    });
    const receiver = await client(port);
    await sendArray(receiver, new Float32Array(250)); // 1000 bytes, retained
    await sendArray(receiver, new Uint8Array(10));
    await sendArray(receiver, new Uint8Array(20));
    await waitFor(() => server.stats().arrays === 3, 3_000, 'three arrays');
    expect(codeOf(lateRetain)).toBe('ERR_SERVER_STATE');
    expect(server.stats()).toMatchObject({ memoryInUse: 1020, arraysHeld: 2 });
    receiver.socket.pause();
    await sleep(50);
    receiver.socket.destroy();
    await waitFor(() => server.stats().active === 0, 3_000, 'connection gone');
    expect(server.stats()).toMatchObject({ memoryInUse: 1000, arraysHeld: 1 });
    release!();
    release!();
    expect(server.stats()).toMatchObject({ memoryInUse: 0, arraysHeld: 0 });
  });

  it('silent connections hold no budget; a refused client does not disturb one being served', async () => {
    const { server, port } = await start(echo, {
      memoryBudget: 4096,
      maxBytes: 4096,
      maxConnections: 10,
      headerTimeout: 10_000,
    });
    for (let i = 0; i < 8; i++) await rawClient(port);
    await waitFor(() => server.stats().active === 8, 3_000, 'silent ones accepted');
    expect(server.stats()).toMatchObject({ memoryInUse: 0, admissionWaiting: 0 });
    const good = await client(port);
    const bad = await client(port);
    await sendArray(bad, new Uint8Array(4097));
    const back = await roundTrip(good, new Uint16Array(2048).fill(9));
    expect(back.array.byteLength).toBe(4096);
    await closed(bad.socket);
    expect((await roundTrip(good, Int8Array.of(-1))).array[0]).toBe(-1);
  });
});

describe('peers that misbehave', () => {
  it('a malformed first header is a handshake failure (only counted by default); a malformed later one goes to onError and closes that client', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const { server, port } = await start(echo);
      const garbage = await rawClient(port);
      garbage.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
      await closed(garbage);
      await waitFor(() => server.stats().handshakeFailures === 1, 2_000, 'counted');
      expect(quiet).not.toHaveBeenCalled();
      expect(server.stats()).toMatchObject({ protocolErrors: 1, handlerErrors: 0 });
    } finally {
      quiet.mockRestore();
    }

    const reported: Array<[string | undefined, ErrorContext]> = [];
    const { server, port } = await start(echo, {
      onError: (error, context) => reported.push([codeOf(error), context]),
    });
    const later = await rawClient(port);
    const good = npyBytes(
      "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }",
      new Uint8Array(4),
    );
    const fortran = npyBytes(
      "{'descr': '<i4', 'fortran_order': True, 'shape': (1,), }",
      new Uint8Array(4),
    );
    later.write(Buffer.concat([good, fortran]));
    await closed(later);
    await waitFor(() => reported.length === 1, 2_000, 'reported');
    expect(reported[0]![0]).toBe('ERR_FORTRAN_ORDER');
    expect(reported[0]![1]).toMatchObject({ phase: 'handler', remoteAddress: '127.0.0.1' });
    expect(server.stats()).toMatchObject({ protocolErrors: 1, handlerErrors: 0, arrays: 1 });
  });

  it('a handler that throws its own error is reported as a handler error', async () => {
    const reported: ErrorContext[] = [];
    const { server, port } = await start(
      async (conn) => {
        await conn.recvArray();
        throw new Error('handler bug');
      },
      { onError: (_error, context) => reported.push(context) },
    );
    const receiver = await client(port);
    await sendArray(receiver, Uint8Array.of(1));
    await closed(receiver.socket);
    await waitFor(() => server.stats().handlerErrors === 1, 2_000, 'counted');
    expect(reported.map((c) => c.phase)).toEqual(['handler']);
    expect(server.stats().memoryInUse).toBe(0);
  });
});

describe('the connection lifecycle (tcp-server) under the bulk server', () => {
  it('a flood of silent connections over maxConnections: bounded fds, refused at once, closed at the header deadline, then a real client is served', async () => {
    const maxConnections = 20;
    const headerTimeout = 400;
    const { server, port } = await start(echo, { maxConnections, headerTimeout });
    const report = await holdSilentClients(port, 200, {
      holdMs: 4_000,
      cleanup: (kill) => cleanup.add(kill),
      active: () => server.stats().active,
    });
    const { peakFds, peakActive } = report;

    expect(report.opened).toBe(200);
    expect(report.closedByServer).toBe(200);
    expect(peakActive).toBeLessThanOrEqual(maxConnections);
    expect(peakFds).toBeLessThanOrEqual(maxConnections + 15);
    const stats = server.stats();
    expect(stats.accepted).toBe(200);
    expect(stats.refused + stats.timeouts).toBe(200);
    expect(stats.timeouts).toBeGreaterThanOrEqual(maxConnections);
    expect(stats).toMatchObject({ handlerErrors: 0, memoryInUse: 0 });
    // The ones that were served were closed at the deadline, not before it.
    const served = report.results.filter((r) => r.after >= headerTimeout - 50);
    expect(served.length).toBe(stats.timeouts);
    await waitFor(() => server.stats().active === 0, 2_000, 'all closed');

    const receiver = await client(port);
    expect(
      Array.from((await roundTrip(receiver, Int16Array.of(1, -2))).array as Int16Array),
    ).toEqual([1, -2]);
  }, 30_000);

  it('maxConnections at its boundary: exactly N held connections are accepted, the N+1th is refused', async () => {
    const { server, port } = await start(echo, { maxConnections: 3, headerTimeout: 10_000 });
    const held = await Promise.all([client(port), client(port), client(port)]);
    await waitFor(() => server.stats().active === 3, 3_000, 'three accepted');
    const extra = await rawClient(port);
    await closed(extra, 2_000);
    expect(server.stats()).toMatchObject({ accepted: 4, refused: 1, active: 3 });
    // The held ones are really served.
    for (const receiver of held) {
      expect((await roundTrip(receiver, Uint8Array.of(5))).array[0]).toBe(5);
    }
  });

  it('headerTimeout at its boundary: a client whose header completes just inside it is served (and stays), a silent one is closed', async () => {
    const headerTimeout = 600;
    const { server, port } = await start(echo, { headerTimeout });
    const fast = await client(port);
    const silent = await rawClient(port);
    await sleep(headerTimeout - 250);
    const header = npyBytes(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
      new Uint8Array(0),
    );
    fast.socket.write(header); // the header completes inside the deadline...
    await sleep(400); // ...the body comes after it
    fast.socket.write(new Uint8Array(Float64Array.of(1.5, -2).buffer));
    const back = await recvOne(fast, { timeout: 5_000 });
    expect(Array.from(back.array as Float64Array)).toEqual([1.5, -2]);
    await closed(silent, headerTimeout + 2_000);
    expect((await roundTrip(fast, Uint8Array.of(3))).array[0]).toBe(3);
    expect(server.stats()).toMatchObject({ timeouts: 1, handshakeFailures: 0, handlerErrors: 0 });
  });

  it('a client that never reads while we send is closed after idleTimeout, with bounded queued bytes', async () => {
    let sendError: unknown;
    let sends = 0;
    const { server, port } = await start(
      async (conn) => {
        const got = await conn.recvArray();
        try {
          for (let i = 0; i < 1000; i++) {
            await conn.sendArray(got!.array, { chunkSize: 1 << 20 });
            sends++;
          }
        } catch (error) {
          sendError = error;
        }
      },
      { idleTimeout: 400 },
    );
    const receiver = await client(port);
    await sendArray(receiver, new Uint8Array(4 << 20)); // 4 MiB, echoed up to 1000 times
    receiver.socket.pause(); // never reads
    await waitFor(() => server.stats().timeouts === 1, 10_000, 'closed by idleTimeout');
    await waitFor(() => server.stats().active === 0, 2_000, 'socket gone');
    // Only what the kernel buffers took left, far from the 4 GB the handler tried to send.
    expect(server.stats().bytesOut).toBeLessThan(64 << 20);
    expect(sends).toBeLessThan(16);
    expect(codeOf(sendError)).toBe('ERR_TRANSFER_INCOMPLETE');
    expect(server.stats()).toMatchObject({ handlerErrors: 0, memoryInUse: 0 });
  });

  it('close() during traffic returns within its timeout; arrays in progress finish or are cut; nothing is left open or held', async () => {
    const { server, port } = await start(echo, { headerTimeout: 5_000 });
    const streams = await Promise.all([client(port), client(port), client(port)]);
    const silent = await rawClient(port);
    let stop = false;
    const traffic = streams.map(async (receiver) => {
      let done = 0;
      try {
        while (!stop && done < 1000) {
          await roundTrip(receiver, new Float64Array(256 * 1024)); // 2 MiB each way
          done++;
        }
      } catch {
        // cut by the shutdown
      }
      return done;
    });
    await waitFor(() => server.stats().arrays >= 6, 10_000, 'traffic flowing');
    const started = performance.now();
    await server.close({ timeout: 1_000 });
    const elapsed = performance.now() - started;
    stop = true;
    const counts = await Promise.all(traffic);
    expect(elapsed).toBeLessThan(3_000);
    expect(counts.every((n) => n >= 1)).toBe(true);
    await closed(silent);
    for (const receiver of streams) await closed(receiver.socket);
    expect(server.stats()).toMatchObject({
      active: 0,
      memoryInUse: 0,
      arraysHeld: 0,
      handlerErrors: 0,
    });
    expect(server.listening).toBe(false);
  });
});

describe('error codes', () => {
  it('no code of this package equals one of Node’s own', () => {
    const nodeCodes = new Set(
      execFileSync(process.execPath, [
        '--expose-internals',
        '-p',
        "Object.keys(require('internal/errors').codes).join('\\n')",
      ])
        .toString()
        .split('\n'),
    );
    expect(nodeCodes.has('ERR_INVALID_URL')).toBe(true); // the list is real
    const dir = new URL('../src/', import.meta.url);
    const ours = new Set<string>();
    for (const file of readdirSync(dir)) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      for (const [code] of text.matchAll(/'ERR_[A-Z0-9_]+'/g)) ours.add(code.slice(1, -1));
    }
    expect(ours.size).toBeGreaterThan(5);
    expect([...ours].filter((code) => nodeCodes.has(code))).toEqual([]);
  });
});
