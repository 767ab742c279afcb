import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createStreamReader } from '../src/index.js';
import { rejectionOf, sourceOf } from './helpers.js';

describe('readLine', () => {
  it('strips \\n and \\r\\n, returns an unterminated last line, then null', async () => {
    const reader = createStreamReader(
      sourceOf([Buffer.from('one\r\ntw'), Buffer.from('o\n\nthree')]),
    );
    expect(await reader.readLine()).toBe('one');
    expect(await reader.readLine()).toBe('two');
    expect(await reader.readLine()).toBe('');
    expect(await reader.readLine()).toBe('three');
    expect(await reader.readLine()).toBeNull();
  });

  it('decodes UTF-8 split inside a character and honours another encoding', async () => {
    const bytes = Buffer.from('héllo wörld\n');
    const reader = createStreamReader(sourceOf([bytes.subarray(0, 2), bytes.subarray(2)]));
    expect(await reader.readLine()).toBe('héllo wörld');
    const latin = createStreamReader(sourceOf([Buffer.from([0xe9, 0x0a])]));
    expect(await latin.readLine({ encoding: 'latin1' })).toBe('é');
  });

  it('fails with ERR_MAX_LENGTH when a line is too long and keeps the bytes buffered', async () => {
    const source = sourceOf([Buffer.from('x'.repeat(100))], { end: false });
    const reader = createStreamReader(source);
    const error = await rejectionOf(reader.readLine({ maxLength: 64 }));
    expect(error.code).toBe('ERR_MAX_LENGTH');
    expect(error.maxLength).toBe(64);
    expect(reader.buffered).toBe(100);
    source.end('\n');
    expect(await reader.readLine({ maxLength: 101 })).toBe('x'.repeat(100));
  });

  it('counts the terminator in maxLength', async () => {
    const reader = createStreamReader(sourceOf([Buffer.from('abc\nabcd\n')]));
    expect(await reader.readLine({ maxLength: 4 })).toBe('abc');
    expect((await rejectionOf(reader.readLine({ maxLength: 4 }))).code).toBe('ERR_MAX_LENGTH');
  });

  it('fails as soon as maxLength bytes arrive without a newline (slowloris)', async () => {
    const source = sourceOf([], { end: false });
    const reader = createStreamReader(source);
    const line = reader.readLine({ maxLength: 1024 });
    for (let i = 0; i < 1024; i++) source.write('a');
    expect((await rejectionOf(line)).code).toBe('ERR_MAX_LENGTH');
    source.destroy();
  });
});

describe('a line dripped one byte per chunk', () => {
  // Guards the scan cursor: rescanning every chunk per arrival made this quadratic
  // (26 s of CPU for one 64 KiB line, a cheap denial of service); linear, it takes ~0.1 s.
  it('is found in linear time, whatever the chunking', async () => {
    const source = new PassThrough();
    const reader = createStreamReader(source, { highWaterMark: 1 << 20 });
    const line = reader.readLine({ maxLength: 65_536 });
    const byte = Buffer.from('a');
    for (let i = 0; i < 65_535; i++) source.write(byte);
    source.write('\n');
    expect(await line).toBe('a'.repeat(65_535));
  }, 10_000);
});

describe('readUntil', () => {
  it('returns the record including a multi-byte delimiter', async () => {
    const reader = createStreamReader(
      sourceOf([Buffer.from('GET / HTTP/1.1\r\nHost: x\r'), Buffer.from('\n\r\nbody')]),
    );
    const head = await reader.readUntil('\r\n\r\n');
    expect(Buffer.from(head).toString()).toBe('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(Buffer.from((await reader.read())!).toString()).toBe('body');
  });

  it('finds a delimiter split over many one-byte chunks', async () => {
    const text = 'abc--EN--END--tail';
    const reader = createStreamReader(sourceOf([...text].map((c) => Buffer.from(c))));
    expect(Buffer.from(await reader.readUntil('--END--')).toString()).toBe('abc--EN--END--');
  });

  it('accepts a byte delimiter', async () => {
    const reader = createStreamReader(sourceOf([Buffer.from([1, 2, 0, 3, 0])]));
    expect([...(await reader.readUntil(new Uint8Array([0])))]).toEqual([1, 2, 0]);
    expect([...(await reader.readUntil(new Uint8Array([0])))]).toEqual([3, 0]);
  });

  it('fails with ERR_STREAM_EOF and the partial record when the stream ends first', async () => {
    const reader = createStreamReader(sourceOf([Buffer.from('no delimiter')]));
    const error = await rejectionOf(reader.readUntil(';'));
    expect(error.code).toBe('ERR_STREAM_EOF');
    expect(Buffer.from(error.partial as Uint8Array).toString()).toBe('no delimiter');
  });

  it('fails with ERR_MAX_LENGTH when the delimiter comes too late', async () => {
    const reader = createStreamReader(sourceOf([Buffer.from('0123456789;')]));
    const error = await rejectionOf(reader.readUntil(';', { maxLength: 10 }));
    expect(error.code).toBe('ERR_MAX_LENGTH');
    expect(error.length).toBe(11);
    expect(Buffer.from(await reader.readUntil(';', { maxLength: 11 })).toString()).toBe(
      '0123456789;',
    );
  });

  it('rejects an empty delimiter with ERR_INVALID_ARGUMENT', async () => {
    const reader = createStreamReader(sourceOf([]));
    expect((await rejectionOf(reader.readUntil(''))).code).toBe('ERR_INVALID_ARGUMENT');
  });
});
