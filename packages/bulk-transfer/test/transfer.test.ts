import { once } from 'node:events';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BulkReceiver,
  connectForBulk,
  type NetError,
  recvArray,
  recvInto,
  sendArray,
  sendBuffer,
  type TransferInterruptedError,
} from '../src/index.js';
import { cleanupList, listen, npyBytes, recvOne, socketPair } from './helpers.js';

const cleanup = cleanupList();
afterEach(() => cleanup.run());

async function failure(
  promise: Promise<unknown>,
): Promise<NetError & Partial<TransferInterruptedError>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as NetError;
}

async function pair(kind: 'socket' | 'receiver') {
  const p = await socketPair(kind);
  cleanup.add(p.close);
  return p;
}

/** Resolves once `socket` has closed, failing the test after 5 s. */
async function closed(socket: Socket): Promise<void> {
  if (socket.destroyed) return;
  await Promise.race([
    once(socket, 'close'),
    sleep(5000).then(() => {
      throw new Error('socket did not close');
    }),
  ]);
}

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

for (const kind of ['socket', 'receiver'] as const) {
  const path =
    kind === 'socket' ? 'accepted socket (StreamReader, one copy)' : 'connectForBulk (zero copy)';

  describe(`receiving on ${path}`, () => {
    it('receives several arrays back to back, then raw bytes, with nothing stolen', async () => {
      const { local, localSocket, peer } = await pair(kind);
      const big = new Float64Array(1_000_000).map((_, i) => i * 0.5);
      const sent = (async () => {
        await sendArray(peer, big, { shape: [1000, 1000] });
        await sendArray(peer, Int32Array.of(-1, 2, -3));
        await sendArray(peer, new BigUint64Array([2n ** 64n - 1n]), { shape: [] });
        await sendBuffer(peer, Uint16Array.of(0xbeef, 0xcafe));
        peer.write('tail');
      })();
      const progress: Array<[number, number]> = [];
      const a = await recvOne(local, {
        maxBytes: 8_000_000,
        chunkSize: 1 << 20,
        progress: (done, total) => progress.push([done, total]),
      });
      expect(a).toMatchObject({ dtype: 'float64', shape: [1000, 1000] });
      expect(a.array[999_999]).toBe(499_999.5);
      expect(a.array[123_456]).toBe(61_728);
      expect(progress.at(-1)).toEqual([8_000_000, 8_000_000]);
      // Every 1 MiB or more (one zero-copy read may cover several MiB).
      expect(progress.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < progress.length; i++)
        expect(progress[i]![0]).toBeGreaterThan(progress[i - 1]![0]);
      const b = await recvOne(local);
      expect(Array.from(b.array as Int32Array)).toEqual([-1, 2, -3]);
      const c = await recvOne(local);
      expect(c).toMatchObject({ dtype: 'uint64', shape: [] });
      expect(c.array[0]).toBe(2n ** 64n - 1n);
      const raw = new Uint16Array(2);
      expect(await recvInto(local, raw)).toBe(4);
      expect(Array.from(raw)).toEqual([0xbeef, 0xcafe]);
      await sent;
      if (local instanceof BulkReceiver) {
        const tail = new Uint8Array(4);
        await recvInto(local, tail);
        expect(Buffer.from(tail).toString()).toBe('tail');
      } else {
        // The bytes after the last call are back in the socket for any other reader.
        localSocket.resume();
        const [chunk] = (await once(localSocket, 'data')) as [Buffer];
        expect(chunk.toString()).toBe('tail');
      }
    });

    it('serves overlapping calls in the order they were made', async () => {
      const { local, peer } = await pair(kind);
      const first = recvOne(local);
      const second = recvInto(local, new Uint8Array(3));
      const third = recvOne(local);
      // Overlapping sends on one socket do not interleave either.
      await Promise.all([
        sendArray(peer, new Float64Array(300_000).fill(1.25)),
        sendBuffer(peer, Uint8Array.of(7, 8, 9)),
        sendArray(peer, Int8Array.of(-4)),
      ]);
      const [a, n, c] = await Promise.all([first, second, third]);
      expect(a.array).toHaveLength(300_000);
      expect((a.array as Float64Array).every((v) => v === 1.25)).toBe(true);
      expect(n).toBe(3);
      expect(Array.from(c.array as Int8Array)).toEqual([-4]);
    });

    it('receives into a caller-supplied buffer when the array fits, and allocates otherwise', async () => {
      const { local, peer } = await pair(kind);
      const reuse = new ArrayBuffer(1 << 20);
      await sendArray(peer, Float32Array.of(1, 2, 3), { shape: [3, 1] });
      await sendArray(peer, new Uint8Array((1 << 20) + 1));
      const small = await recvOne(local, { buffer: reuse });
      expect(small.array.buffer).toBe(reuse);
      expect(small.array.byteOffset).toBe(0);
      expect(Array.from(small.array as Float32Array)).toEqual([1, 2, 3]);
      const big = await recvOne(local, { buffer: reuse, maxBytes: 2 << 20 });
      expect(big.array.buffer).not.toBe(reuse);
      expect(big.array).toHaveLength((1 << 20) + 1);
    });

    it('fills a view of a larger buffer without touching the bytes after it', async () => {
      const { local, peer } = await pair(kind);
      const buffer = new Uint8Array(300_000).fill(0xaa);
      const data = pattern(250_000);
      const filled = recvInto(local, buffer.subarray(0, 200_000));
      // A first small read, then the rest while the call waits: on the zero-copy path the
      // kernel then reads straight into the view, bounded by its end.
      await sleep(20);
      peer.write(data.subarray(0, 10));
      await sleep(20);
      peer.write(data.subarray(10));
      await filled;
      expect(
        Buffer.from(buffer.subarray(0, 200_000)).equals(Buffer.from(data.subarray(0, 200_000))),
      ).toBe(true);
      expect(buffer.subarray(200_000).every((b) => b === 0xaa)).toBe(true);
      const rest = new Uint8Array(50_000);
      await recvInto(local, rest);
      expect(Buffer.from(rest).equals(Buffer.from(data.subarray(200_000)))).toBe(true);
    });

    it('fails with the count of bytes that arrived when the peer disconnects mid-array, writing nothing past them', async () => {
      const { local, localSocket, peer } = await pair(kind);
      const view = new Uint8Array(1 << 20).fill(0xaa);
      const data = pattern(300_000);
      const pending = failure(recvInto(local, view));
      peer.end(data);
      const error = await pending;
      expect(error).toMatchObject({
        code: 'ERR_TRANSFER_INCOMPLETE',
        phase: 'body',
        bytesTransferred: 300_000,
      });
      expect(error.expected).toBe(1 << 20);
      expect(Buffer.from(view.subarray(0, 300_000)).equals(Buffer.from(data))).toBe(true);
      expect(view.subarray(300_000).every((b) => b === 0xaa)).toBe(true);
      await closed(localSocket);
    });

    it('reports a reset mid-array and leaves the rest of the view untouched', async () => {
      const { local, peer } = await pair(kind);
      const view = new Uint8Array(1 << 20).fill(0xaa);
      const pending = failure(recvInto(local, view));
      peer.write(pattern(100_000));
      await sleep(50);
      peer.resetAndDestroy();
      const error = await pending;
      expect(error.code).toBe('ERR_TRANSFER_INCOMPLETE');
      const n = error.bytesTransferred!;
      expect(n).toBeLessThanOrEqual(100_000);
      expect(view.subarray(n).every((b) => b === 0xaa)).toBe(true);
    });

    it('resolves recvArray with null when the peer ends between arrays, every time after', async () => {
      const { local, peer } = await pair(kind);
      await sendArray(peer, Float64Array.of(1.5));
      await sendArray(peer, Int8Array.of(-4));
      peer.end();
      expect(Array.from((await recvOne(local)).array as Float64Array)).toEqual([1.5]);
      expect(Array.from((await recvOne(local)).array as Int8Array)).toEqual([-4]);
      expect(await recvArray(local)).toBeNull();
      expect(await recvArray(local)).toBeNull();
    });

    it('fails recvArray when the peer ends one byte into an array, or resets between arrays', async () => {
      const cut = await pair(kind);
      cut.peer.end(
        npyBytes(
          "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
          new Uint8Array(8),
        ).subarray(0, 1),
      );
      expect(await failure(recvArray(cut.local))).toMatchObject({
        code: 'ERR_TRANSFER_INCOMPLETE',
        phase: 'header',
        bytesTransferred: 1,
      });
      const reset = await pair(kind);
      await sendArray(reset.peer, Int8Array.of(3));
      expect(Array.from((await recvOne(reset.local)).array as Int8Array)).toEqual([3]);
      const pending = failure(recvArray(reset.local));
      await sleep(50);
      reset.peer.resetAndDestroy();
      expect(await pending).toMatchObject({ code: 'ERR_TRANSFER_INCOMPLETE', bytesTransferred: 0 });
    });

    it('fails recvArray with a body-phase error when the peer stops mid-array', async () => {
      const { local, peer } = await pair(kind);
      const whole = npyBytes(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (100000,), }",
        new Uint8Array(400_000),
      );
      const headerLength = whole.byteLength - 400_000;
      peer.end(whole.subarray(0, headerLength + 1234));
      const error = await failure(recvArray(local));
      expect(error).toMatchObject({
        code: 'ERR_TRANSFER_INCOMPLETE',
        phase: 'body',
        bytesTransferred: 1234,
        expected: 400_000,
      });
    });

    it('times out mid-array with ERR_TIMEOUT and closes the connection', async () => {
      const { local, localSocket, peer } = await pair(kind);
      const view = new Uint8Array(1 << 20).fill(0xaa);
      peer.write(pattern(1000));
      const error = await failure(recvInto(local, view, { timeout: 300 }));
      expect(error).toMatchObject({ code: 'ERR_TIMEOUT', bytesTransferred: 1000 });
      expect(view.subarray(1000).every((b) => b === 0xaa)).toBe(true);
      await closed(localSocket);
      peer.write(pattern(1000)); // nothing may land in the view any more
      await sleep(50);
      expect(view.subarray(1000).every((b) => b === 0xaa)).toBe(true);
    });

    it('times out before the first byte of a header without closing, so the call can be retried', async () => {
      const { local, localSocket, peer } = await pair(kind);
      const error = await failure(recvArray(local, { timeout: 100 }));
      expect(error).toMatchObject({ code: 'ERR_TIMEOUT', phase: 'header', bytesTransferred: 0 });
      expect(localSocket.destroyed).toBe(false);
      await sendArray(peer, Float64Array.of(42));
      const got = await recvOne(local, { timeout: 5000 });
      expect(got.array[0]).toBe(42);
    });

    it('aborts mid-array with ERR_ABORTED when the signal fires', async () => {
      const { local, localSocket, peer } = await pair(kind);
      const controller = new AbortController();
      const pending = failure(recvArray(local, { signal: controller.signal }));
      const whole = npyBytes(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }",
        new Uint8Array(8000),
      );
      peer.write(whole.subarray(0, whole.byteLength - 100)); // the last 100 bytes never come
      await sleep(50);
      controller.abort(new Error('user cancelled'));
      const error = await pending;
      expect(error.code).toBe('ERR_ABORTED');
      await closed(localSocket);
    });
  });
}

describe('sending', () => {
  it('fails with ERR_TRANSFER_INCOMPLETE when the peer goes away mid-array', async () => {
    const { local, peer } = await pair('socket');
    const big = new Float64Array(8 << 20); // 64 MiB: more than the socket buffers hold
    const pending = failure(sendArray(local, big, { chunkSize: 1 << 20 }));
    await sleep(50);
    peer.destroy();
    const error = await pending;
    expect(error).toMatchObject({ code: 'ERR_TRANSFER_INCOMPLETE', direction: 'send' });
    expect(error.bytesTransferred).toBeLessThan(big.byteLength);
  });

  it('times out with ERR_TIMEOUT when the peer does not read, and closes the connection', async () => {
    const { local, localSocket, peer } = await pair('socket');
    peer.pause();
    const progress: number[] = [];
    const error = await failure(
      sendBuffer(local, new Uint8Array(64 << 20), {
        timeout: 300,
        chunkSize: 1 << 20,
        progress: (done) => progress.push(done),
      }),
    );
    expect(error).toMatchObject({ code: 'ERR_TIMEOUT', direction: 'send' });
    expect(error.bytesTransferred).toBe(progress.at(-1) ?? 0);
    await closed(localSocket);
  });

  it('aborts with ERR_ABORTED, also when the signal was aborted before the call', async () => {
    const { local } = await pair('socket');
    const error = await failure(
      sendBuffer(local, new Uint8Array(10), { signal: AbortSignal.abort() }),
    );
    expect(error).toMatchObject({ code: 'ERR_ABORTED', bytesTransferred: 0 });
  });

  it('sends through a BulkReceiver to an accepting peer', async () => {
    const { local, peer } = await pair('receiver');
    await sendArray(local, Int16Array.of(1, -2));
    const got = await recvOne(peer);
    expect(Array.from(got.array as Int16Array)).toEqual([1, -2]);
  });
});

describe('connectForBulk', () => {
  it('fails with ERR_CONNECT_FAILED when nobody listens', async () => {
    const { server, port } = await listen(() => undefined);
    await new Promise((resolve) => server.close(resolve));
    const error = await failure(connectForBulk({ port, host: '127.0.0.1' }));
    expect(error.code).toBe('ERR_CONNECT_FAILED');
  });

  it('reads ahead at most about highWaterMark while no call waits, then delivers every byte', async () => {
    let accepted!: Socket;
    const { server, port } = await listen((socket) => {
      accepted = socket;
    });
    cleanup.add(() => server.close());
    const receiver = await connectForBulk({ port, host: '127.0.0.1', highWaterMark: 128 * 1024 });
    cleanup.add(() => receiver.socket.destroy());
    for (let i = 0; i < 100 && accepted === undefined; i++) await sleep(10);
    cleanup.add(() => accepted.destroy());
    const data = pattern(8 << 20);
    void sendBuffer(accepted, data).catch(() => undefined);
    await sleep(300);
    expect(receiver.buffered).toBeGreaterThan(0);
    expect(receiver.buffered).toBeLessThanOrEqual(128 * 1024 + 2 * 64 * 1024);
    const got = new Uint8Array(8 << 20);
    await recvInto(receiver, got, { timeout: 10_000 });
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
  });
});
