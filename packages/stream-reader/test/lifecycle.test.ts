import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createStreamReader } from '../src/index.js';
import { patternBytes, rejectionOf, sourceOf, tcpPair } from './helpers.js';

/** Waits until `check()` holds, polling, for at most `ms`. */
async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

describe('backpressure', () => {
  it('pauses the source above highWaterMark and resumes when read, losing nothing', async () => {
    const source = new PassThrough({ highWaterMark: 16 * 1024 });
    const reader = createStreamReader(source, { highWaterMark: 64 * 1024 });
    const data = patternBytes(1024 * 1024);
    let accepted = 0;
    for (let i = 0; i < data.byteLength; i += 16 * 1024) {
      accepted++;
      if (!source.write(data.subarray(i, i + 16 * 1024))) break; // the writer sees backpressure
    }
    await sleep(10);
    expect(source.isPaused()).toBe(true);
    expect(reader.buffered).toBeLessThanOrEqual(64 * 1024 + 16 * 1024);
    expect(accepted).toBeLessThan(64); // the writer was stopped well before 1 MiB
    // Write the rest as the reader drains, then check every byte.
    const writer = (async () => {
      for (let i = accepted * 16 * 1024; i < data.byteLength; i += 16 * 1024) {
        if (!source.write(data.subarray(i, i + 16 * 1024))) await once(source, 'drain');
      }
      source.end();
    })();
    const got = await reader.readExactly(data.byteLength);
    await writer;
    expect(Buffer.compare(Buffer.from(got), data)).toBe(0);
  });

  it('keeps memory bounded while a TCP peer floods a reader that does not read', async () => {
    const { client, peer, close } = await tcpPair();
    try {
      const reader = createStreamReader(client, { highWaterMark: 128 * 1024 });
      const block = Buffer.alloc(64 * 1024, 7);
      let written = 0;
      let blocked = false;
      const deadline = Date.now() + 5_000;
      // Write until the kernel buffers are full and 'drain' stops coming: the sender is
      // then held back by TCP flow control, because the reader paused the socket.
      while (!blocked && written < 512 * 1024 * 1024 && Date.now() < deadline) {
        written += block.byteLength;
        if (!peer.write(block)) {
          const drained = await Promise.race([
            once(peer, 'drain').then(() => true),
            sleep(300).then(() => false),
          ]);
          blocked = !drained;
        }
      }
      expect(blocked).toBe(true);
      await until(() => client.isPaused(), 5_000);
      expect(reader.buffered).toBeLessThanOrEqual(128 * 1024 + 64 * 1024);
      const got = await reader.readExactly(written, { timeout: 10_000 });
      expect(got.byteLength).toBe(written);
      expect(got.every((byte) => byte === 7)).toBe(true);
    } finally {
      await close();
    }
  });
});

describe('source errors and closes', () => {
  it('serves buffered bytes first, then fails with ERR_STREAM_ERROR wrapping the cause', async () => {
    const source = sourceOf([Buffer.from('abc')], { end: false });
    const reader = createStreamReader(source);
    await sleep(1);
    const boom = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    source.destroy(boom);
    expect(Buffer.from(await reader.readExactly(2)).toString()).toBe('ab');
    const error = await rejectionOf(reader.readExactly(2));
    expect(error.code).toBe('ERR_STREAM_ERROR');
    expect((error.cause as { code: string }).code).toBe('ECONNRESET');
    expect(reader.buffered).toBe(1); // the partial read was given back
    expect(Buffer.from((await reader.read())!).toString()).toBe('c');
    expect((await rejectionOf(reader.read())).code).toBe('ERR_STREAM_ERROR');
  });

  it('a peer reset mid-read fails the pending read instead of crashing', async () => {
    const { client, peer, close } = await tcpPair();
    try {
      const reader = createStreamReader(client);
      const pending = reader.readExactly(100);
      peer.write('partial');
      await until(() => client.bytesRead > 0);
      peer.resetAndDestroy();
      const error = await rejectionOf(pending);
      expect(['ERR_STREAM_ERROR', 'ERR_STREAM_EOF']).toContain(error.code);
    } finally {
      await close();
    }
  });

  it('a locally destroyed source without error ends pending reads with ERR_STREAM_EOF', async () => {
    const source = sourceOf([], { end: false });
    const reader = createStreamReader(source);
    const pending = reader.readExactly(1);
    source.destroy();
    expect((await rejectionOf(pending)).code).toBe('ERR_STREAM_EOF');
  });

  it('attaches to a source that already failed without an unhandled error', async () => {
    const source = new PassThrough();
    source.on('error', () => undefined);
    source.destroy(new Error('gone'));
    await sleep(1);
    const reader = createStreamReader(source);
    expect((await rejectionOf(reader.readExactly(1))).code).toBe('ERR_STREAM_ERROR');
  });
});

describe('release', () => {
  it('returns the leftover bytes and fails pending and later calls with ERR_READER_RELEASED', async () => {
    const source = sourceOf([Buffer.from('HELLO\nrest of the stream')], { end: false });
    const reader = createStreamReader(source);
    expect(await reader.readLine()).toBe('HELLO');
    const pending = reader.readUntil('never');
    await sleep(1);
    const leftover = reader.release();
    expect(Buffer.from(leftover).toString()).toBe('rest of the stream');
    expect((await rejectionOf(pending)).code).toBe('ERR_READER_RELEASED');
    expect((await rejectionOf(reader.readExactly(1))).code).toBe('ERR_READER_RELEASED');
    expect(reader.released).toBe(true);
    expect(reader.release().byteLength).toBe(0);
    expect(source.listenerCount('data')).toBe(0);
    expect(source.listenerCount('error')).toBe(0);
  });

  it('gives back the bytes of a partly filled read', async () => {
    const reader = createStreamReader(sourceOf([Buffer.from('abc')], { end: false }));
    const pending = reader.readExactly(10);
    await sleep(1);
    expect(Buffer.from(reader.release()).toString()).toBe('abc');
    expect((await rejectionOf(pending)).code).toBe('ERR_READER_RELEASED');
  });

  it('hands a TCP socket over after a handshake with every byte intact ({ unshift: true })', async () => {
    const { client, peer, close } = await tcpPair();
    try {
      const payload = patternBytes(2 * 1024 * 1024, 42);
      peer.end(Buffer.concat([Buffer.from('AUTH ok\n'), payload]));
      const reader = createStreamReader(client);
      expect(await reader.readLine()).toBe('AUTH ok');
      // Let the reader read ahead, so the hand-back has real leftovers.
      await until(() => reader.buffered > 0, 5_000);
      reader.release({ unshift: true });
      const parts: Buffer[] = [];
      for await (const chunk of client) parts.push(chunk as Buffer);
      expect(Buffer.compare(Buffer.concat(parts), payload)).toBe(0);
    } finally {
      await close();
    }
  });

  it('a new reader on a released socket continues where the old one stopped', async () => {
    const { client, peer, close } = await tcpPair();
    try {
      peer.end('one\ntwo\nthree\n');
      const first = createStreamReader(client);
      expect(await first.readLine()).toBe('one');
      first.release({ unshift: true });
      const second = createStreamReader(client);
      expect(await second.readLine()).toBe('two');
      expect(await second.readLine()).toBe('three');
      expect(await second.readLine()).toBeNull();
    } finally {
      await close();
    }
  });
});
