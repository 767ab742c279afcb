import { describe, expect, it } from 'vitest';
import { createStreamReader, type FrameHeaderSize } from '../src/index.js';
import { frame, patternBytes, rejectionOf, sourceOf } from './helpers.js';

describe('readFrame', () => {
  it('reads 4-byte big-endian frames by default, including empty ones, then null', async () => {
    const reader = createStreamReader(sourceOf([frame('hello'), frame(''), frame('world')]));
    expect(Buffer.from((await reader.readFrame())!).toString()).toBe('hello');
    expect((await reader.readFrame())!.byteLength).toBe(0);
    expect(Buffer.from((await reader.readFrame())!).toString()).toBe('world');
    expect(await reader.readFrame()).toBeNull();
  });

  for (const headerSize of [1, 2, 4, 8] as FrameHeaderSize[]) {
    for (const littleEndian of [false, true]) {
      it(`reads ${headerSize}-byte ${littleEndian ? 'little' : 'big'}-endian headers`, async () => {
        const body = patternBytes(200, headerSize);
        const reader = createStreamReader(sourceOf([frame(body, headerSize, littleEndian)]), {
          frameHeaderSize: headerSize,
          frameByteOrder: littleEndian ? 'little' : 'big',
        });
        expect(Buffer.compare(Buffer.from((await reader.readFrame())!), body)).toBe(0);
      });
    }
  }

  it('per-call framing options override the reader defaults', async () => {
    const reader = createStreamReader(sourceOf([frame('ab', 2, true), frame('cd', 4)]));
    expect(
      Buffer.from((await reader.readFrame({ headerSize: 2, byteOrder: 'little' }))!).toString(),
    ).toBe('ab');
    expect(Buffer.from((await reader.readFrame())!).toString()).toBe('cd');
  });

  it('rejects an oversized announced length before the body arrives, consuming nothing', async () => {
    const source = sourceOf([Buffer.from([0x7f, 0xff, 0xff, 0xff])], { end: false });
    const reader = createStreamReader(source);
    const error = await rejectionOf(reader.readFrame({ maxLength: 1024 }));
    expect(error.code).toBe('ERR_MAX_LENGTH');
    expect(error.length).toBe(2_147_483_647);
    expect(error.maxLength).toBe(1024);
    expect(reader.buffered).toBe(4);
    source.destroy();
  });

  it('rejects an 8-byte length beyond 2^53 with ERR_MAX_LENGTH', async () => {
    const header = Buffer.alloc(8, 0xff);
    const reader = createStreamReader(sourceOf([header], { end: false }));
    const error = await rejectionOf(reader.readFrame({ headerSize: 8 }));
    expect(error.code).toBe('ERR_MAX_LENGTH');
    expect(error.length).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
  });

  it('uses the reader-level maxFrameLength', async () => {
    const reader = createStreamReader(sourceOf([frame('x'.repeat(11))]), { maxFrameLength: 10 });
    expect((await rejectionOf(reader.readFrame())).code).toBe('ERR_MAX_LENGTH');
  });

  it('accepts a frame of exactly maxLength', async () => {
    const reader = createStreamReader(sourceOf([frame('x'.repeat(10))]));
    expect((await reader.readFrame({ maxLength: 10 }))!.byteLength).toBe(10);
  });

  it('rejects invalid framing options with ERR_INVALID_ARGUMENT', async () => {
    const reader = createStreamReader(sourceOf([]));
    expect((await rejectionOf(reader.readFrame({ headerSize: 3 as FrameHeaderSize }))).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect((await rejectionOf(reader.readFrame({ byteOrder: 'middle' as 'big' }))).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect((await rejectionOf(reader.readFrame({ maxLength: -1 }))).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });
});
