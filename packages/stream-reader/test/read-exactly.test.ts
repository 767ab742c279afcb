import { describe, expect, it } from 'vitest';
import { createStreamReader } from '../src/index.js';
import { patternBytes, rejectionOf, sourceOf } from './helpers.js';

describe('readExactly', () => {
  it('returns exactly n bytes across chunks and keeps the rest buffered', async () => {
    const reader = createStreamReader(
      sourceOf([Buffer.from('ab'), Buffer.from('cdef'), Buffer.from('g')]),
    );
    expect(Buffer.from(await reader.readExactly(3)).toString()).toBe('abc');
    expect(Buffer.from(await reader.readExactly(4)).toString()).toBe('defg');
    expect(await reader.read()).toBeNull();
  });

  it('returns an empty array for n = 0 without waiting', async () => {
    const reader = createStreamReader(sourceOf([], { end: false }));
    expect((await reader.readExactly(0)).byteLength).toBe(0);
  });

  it('fails with ERR_STREAM_EOF carrying the partial bytes when the stream ends early', async () => {
    const reader = createStreamReader(sourceOf([Buffer.from('abc'), Buffer.from('de')]));
    const error = await rejectionOf(reader.readExactly(8));
    expect(error.code).toBe('ERR_STREAM_EOF');
    expect(Buffer.from(error.partial as Uint8Array).toString()).toBe('abcde');
    expect(error.expected).toBe(8);
  });

  it('fails with ERR_STREAM_EOF and an empty partial on an already ended stream', async () => {
    const reader = createStreamReader(sourceOf([]));
    const error = await rejectionOf(reader.readExactly(1));
    expect(error.code).toBe('ERR_STREAM_EOF');
    expect((error.partial as Uint8Array).byteLength).toBe(0);
  });

  it('reads a large count arriving in many chunks', async () => {
    const data = patternBytes(3 * 1024 * 1024 + 17);
    const chunks = [];
    for (let i = 0; i < data.byteLength; i += 65_521) chunks.push(data.subarray(i, i + 65_521));
    const reader = createStreamReader(sourceOf(chunks));
    const got = await reader.readExactly(data.byteLength);
    expect(Buffer.compare(Buffer.from(got), data)).toBe(0);
  });

  it('rejects invalid counts with ERR_INVALID_ARGUMENT', async () => {
    const reader = createStreamReader(sourceOf([]));
    for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect((await rejectionOf(reader.readExactly(n))).code).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('readInto', () => {
  it('fills a typed array in place and resolves with its byte length', async () => {
    const data = patternBytes(1000);
    const reader = createStreamReader(
      sourceOf([data.subarray(0, 3), data.subarray(3, 999), data.subarray(999)]),
    );
    const backing = new ArrayBuffer(1008);
    const view = new Uint32Array(backing, 4, 250); // a view with an offset
    expect(await reader.readInto(view)).toBe(1000);
    expect(Buffer.compare(Buffer.from(backing, 4, 1000), data)).toBe(0);
    expect(new Uint8Array(backing, 0, 4)).toEqual(new Uint8Array(4)); // nothing written outside
  });

  it('fills a DataView and leaves the surplus buffered', async () => {
    const reader = createStreamReader(sourceOf([Buffer.from([1, 2, 3, 4, 5, 6])]));
    const view = new DataView(new ArrayBuffer(4));
    await reader.readInto(view);
    expect(view.getUint32(0)).toBe(0x01020304);
    expect([...(await reader.readExactly(2))]).toEqual([5, 6]);
  });

  it('fails with ERR_STREAM_EOF reporting the bytes it received', async () => {
    const reader = createStreamReader(sourceOf([Buffer.from([9, 8, 7])]));
    const view = new Uint8Array(10);
    const error = await rejectionOf(reader.readInto(view));
    expect(error.code).toBe('ERR_STREAM_EOF');
    expect([...(error.partial as Uint8Array)]).toEqual([9, 8, 7]);
    expect([...view.subarray(0, 3)]).toEqual([9, 8, 7]);
  });

  it('resolves 0 for an empty view', async () => {
    const reader = createStreamReader(sourceOf([], { end: false }));
    expect(await reader.readInto(new Uint8Array(0))).toBe(0);
  });

  it('rejects a non-view with ERR_INVALID_ARGUMENT', async () => {
    const reader = createStreamReader(sourceOf([]));
    const error = await rejectionOf(reader.readInto([1, 2] as unknown as Uint8Array));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('read and iteration', () => {
  it('read() returns what has arrived, honours maxLength and returns null at the end', async () => {
    const reader = createStreamReader(sourceOf([Buffer.from('hello'), Buffer.from('world')]));
    expect(Buffer.from((await reader.read({ maxLength: 2 }))!).toString()).toBe('he');
    expect(Buffer.from((await reader.read())!).toString()).toBe('llo');
    expect(Buffer.from((await reader.read())!).toString()).toBe('world');
    expect(await reader.read()).toBeNull();
    expect(await reader.read()).toBeNull();
    expect(reader.ended).toBe(true);
  });

  it('iterates over every byte, after earlier structured reads', async () => {
    const data = patternBytes(200_000);
    const chunks = [];
    for (let i = 0; i < data.byteLength; i += 7_000) chunks.push(data.subarray(i, i + 7_000));
    const reader = createStreamReader(sourceOf(chunks));
    const parts: Uint8Array[] = [await reader.readExactly(10)];
    for await (const chunk of reader) parts.push(chunk);
    expect(Buffer.compare(Buffer.concat(parts), data)).toBe(0);
  });

  it('serves overlapping calls in the order they were made', async () => {
    const source = sourceOf([], { end: false });
    const reader = createStreamReader(source);
    const all = Promise.all([
      reader.readExactly(2),
      reader.readLine(),
      reader.readFrame({ headerSize: 1 }),
      reader.readUntil('!'),
      reader.read(),
    ]);
    source.write('ab line');
    source.write('\r\n\u0003xyzhi!');
    source.end('tail');
    const [two, line, body, until, rest] = await all;
    expect(Buffer.from(two).toString()).toBe('ab');
    expect(line).toBe(' line');
    expect(Buffer.from(body!).toString()).toBe('xyz');
    expect(Buffer.from(until).toString()).toBe('hi!');
    expect(Buffer.from(rest!).toString()).toBe('tail');
  });
});

describe('construction', () => {
  it('rejects object-mode and encoded sources with ERR_INVALID_ARGUMENT', async () => {
    const { PassThrough } = await import('node:stream');
    expect(() => createStreamReader(new PassThrough({ objectMode: true }))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    const encoded = new PassThrough();
    encoded.setEncoding('utf8');
    expect(() => createStreamReader(encoded)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => createStreamReader(sourceOf([]), { highWaterMark: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => createStreamReader(null as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('sizes beyond what memory allows', () => {
  it('rejects counts and frame limits larger than the largest buffer', async () => {
    const { constants } = await import('node:buffer');
    const reader = createStreamReader(sourceOf([], { end: false }));
    const error = await rejectionOf(reader.readExactly(constants.MAX_LENGTH + 1));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect((await rejectionOf(reader.readFrame({ maxLength: 2 ** 53 }))).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('fails only the call whose view was detached, and keeps the bytes', async () => {
    const source = sourceOf([Buffer.from('ab')], { end: false });
    const reader = createStreamReader(source);
    const backing = new ArrayBuffer(8);
    const pending = reader.readInto(new Uint8Array(backing));
    await new Promise((resolve) => setImmediate(resolve));
    structuredClone(backing, { transfer: [backing] }); // detaches the caller's buffer
    source.write('cdefgh');
    expect(await rejectionOf(pending)).toBeInstanceOf(TypeError);
    expect(Buffer.from(await reader.readExactly(6)).toString()).toBe('cdefgh');
  });

  it('fails a queued call whose view was detached before its turn, and keeps the bytes', async () => {
    const source = sourceOf([], { end: false });
    const reader = createStreamReader(source);
    const first = reader.readExactly(1);
    const backing = new ArrayBuffer(3);
    const second = reader.readInto(new Uint8Array(backing));
    structuredClone(backing, { transfer: [backing] });
    source.write('abcdef');
    expect(Buffer.from(await first).toString()).toBe('a');
    expect(await rejectionOf(second)).toBeInstanceOf(TypeError);
    expect(Buffer.from(await reader.readExactly(5)).toString()).toBe('bcdef');
  });

  it('rejects (does not throw) for a view that is already detached', async () => {
    const reader = createStreamReader(sourceOf([Buffer.from('abc')], { end: false }));
    const backing = new ArrayBuffer(3);
    const view = new Uint8Array(backing);
    structuredClone(backing, { transfer: [backing] });
    const result = reader.readInto(view);
    expect(result).toBeInstanceOf(Promise);
    await rejectionOf(result);
    expect(Buffer.from(await reader.readExactly(3)).toString()).toBe('abc');
  });
});
