// The cheap paths (no options, a read that a single chunk completes, a header inside one chunk,
// an empty release) behave exactly like the general ones.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  createStreamReader,
  type FrameHeaderSize,
  STREAM_READER_DEFAULTS,
  type StreamReader,
  type StreamReaderOptions,
} from '../src/index.js';
import { frame, patternBytes, rejectionOf, sourceOf, splitAt } from './helpers.js';

/** A fixed sequence of calls, recording what each returns or its error code. */
async function script(reader: StreamReader, source: PassThrough): Promise<unknown[]> {
  const out: unknown[] = [];
  const record = async (call: Promise<unknown>) => {
    try {
      const value = await call;
      out.push(value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value);
    } catch (error) {
      out.push((error as { code?: string }).code);
    }
  };
  const exact = reader.readExactly(3);
  source.write(Buffer.from('abcdef'));
  await record(exact);
  await record(reader.readExactly(3));
  source.write(frame('hello'));
  await record(reader.readFrame());
  source.write(Buffer.from('one\r\ntwo\n'));
  await record(reader.readLine());
  await record(reader.readUntil('\n'));
  source.write(Buffer.from([5, 0, 0, 0])); // announces 80 MiB, over maxFrameLength
  await record(reader.readFrame());
  await record(reader.readExactly(6, { timeout: 10 }));
  out.push(reader.buffered); // the refused header stays
  source.end(Buffer.from('tail'));
  await record(reader.readExactly(100));
  await record(reader.read());
  out.push(reader.ended);
  return out;
}

describe('options fast path', () => {
  const spelled: StreamReaderOptions[] = [
    {},
    { ...STREAM_READER_DEFAULTS },
    {
      highWaterMark: undefined,
      timeout: undefined,
      maxLineLength: undefined,
      maxFrameLength: undefined,
      frameHeaderSize: undefined,
      frameByteOrder: undefined,
    },
  ];

  it('a reader built without options behaves as one with the defaults spelled out', async () => {
    const base = new PassThrough();
    const expected = await script(createStreamReader(base), base);
    expect(expected).toEqual([
      '616263',
      '646566',
      '68656c6c6f',
      'one',
      '74776f0a',
      'ERR_MAX_LENGTH',
      'ERR_TIMEOUT',
      4,
      'ERR_STREAM_EOF',
      null,
      true,
    ]);
    for (const options of spelled) {
      const source = new PassThrough();
      expect(await script(createStreamReader(source, options), source)).toEqual(expected);
    }
  });

  it('non-default options are still checked, and null is not a default', () => {
    const bad: unknown[] = [
      { highWaterMark: 0 },
      { timeout: -1 },
      { timeout: Number.NaN },
      { maxLineLength: 1.5 },
      { maxFrameLength: -1 },
      { frameHeaderSize: 3 },
      { frameByteOrder: 'middle' },
      { highWaterMark: null },
    ];
    for (const options of bad) {
      expect(() => createStreamReader(new PassThrough(), options as StreamReaderOptions)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
  });

  it('a non-default option takes effect with the others at their defaults', async () => {
    const source = sourceOf([frame('ab', 2, true)]);
    const reader = createStreamReader(source, { frameHeaderSize: 2, frameByteOrder: 'little' });
    expect(Buffer.from((await reader.readFrame()) ?? []).toString()).toBe('ab');
    const strict = createStreamReader(sourceOf([Buffer.from('abc\n')]), { maxLineLength: 2 });
    expect((await rejectionOf(strict.readLine())).code).toBe('ERR_MAX_LENGTH');
  });
});

describe('reads a single chunk completes', () => {
  it('a chunk of exactly the size asked for is returned, the next chunk starts the next read', async () => {
    const source = new PassThrough();
    const reader = createStreamReader(source);
    const first = reader.readExactly(4);
    const second = reader.readExactly(2);
    source.write(Buffer.from('wxyz'));
    source.write(Buffer.from('12'));
    expect(Buffer.from(await first).toString()).toBe('wxyz');
    expect(Buffer.from(await second).toString()).toBe('12');
    expect(reader.buffered).toBe(0);
  });

  it('a larger chunk serves the pending read and keeps the rest for the next calls', async () => {
    const source = new PassThrough();
    const reader = createStreamReader(source);
    const first = reader.readExactly(3);
    const second = reader.readFrame({ headerSize: 1 });
    source.write(Buffer.concat([Buffer.from('abc'), frame('hi', 1), Buffer.from('rest')]));
    expect(Buffer.from(await first).toString()).toBe('abc');
    expect(Buffer.from((await second) ?? []).toString()).toBe('hi');
    expect(Buffer.from(reader.release()).toString()).toBe('rest');
  });

  it('frame headers inside one chunk or split across chunks read the same', async () => {
    const bytes = Buffer.concat([frame(patternBytes(300), 8), frame('x', 2, true)]);
    for (const cuts of [[], [3], [1, 2, 5, 7], [8]]) {
      const reader = createStreamReader(sourceOf(splitAt(bytes, cuts)));
      expect(Buffer.from((await reader.readFrame({ headerSize: 8 })) ?? [])).toEqual(
        patternBytes(300),
      );
      const little = await reader.readFrame({ headerSize: 2, byteOrder: 'little' });
      expect(Buffer.from(little ?? []).toString()).toBe('x');
      expect(await reader.readFrame()).toBeNull();
    }
  });
});

describe('a frame arriving while readFrame waits', () => {
  /**
   * The chunks, then the end, written before the calls (the general path) or one at a time
   * while a call waits (`pending`); what each call returns, or its error code and what the
   * reader still holds (a refused header is not consumed).
   */
  async function frames(
    chunks: Buffer[],
    calls: number,
    pending: boolean,
    options: { headerSize: FrameHeaderSize; byteOrder: 'big' | 'little'; maxLength: number },
  ): Promise<unknown[]> {
    const source = new PassThrough();
    const reader = createStreamReader(source);
    let next = 0;
    if (!pending) {
      for (const chunk of chunks) source.write(chunk);
      source.end();
      next = chunks.length;
    }
    const out: unknown[] = [];
    for (let i = 0; i < calls; i++) {
      let settled = false;
      // Handled at once (it may fail while chunks are still being written).
      const outcome = reader.readFrame(options).then(
        (body) => ({ body: Buffer.from(body ?? []).toString('hex') }),
        (error: { code?: string }) => ({ code: error.code }),
      );
      void outcome.then(() => {
        settled = true;
      });
      while (!settled && next < chunks.length) {
        source.write(chunks[next++]);
        if (next === chunks.length) source.end();
        await new Promise((resolve) => setImmediate(resolve));
      }
      const result = await outcome;
      if ('body' in result) {
        out.push(result.body);
      } else {
        out.push(result.code, reader.buffered);
        break;
      }
    }
    source.destroy();
    return out;
  }

  for (const headerSize of [1, 2, 4, 8] as FrameHeaderSize[]) {
    for (const byteOrder of ['big', 'little'] as const) {
      it(`is served from the chunk as the general path serves it (${headerSize}-byte ${byteOrder}-endian)`, async () => {
        const little = byteOrder === 'little';
        const f = (body: string) => frame(body, headerSize, little);
        const options = { headerSize, byteOrder, maxLength: 5 };
        const cases: [Buffer[], number][] = [
          [[f('abcde')], 1], // exactly one frame, of exactly maxLength
          [[Buffer.concat([f('ab'), f('')]), f('c')], 3], // two in one chunk, one empty
          [[Buffer.concat([f('abc'), f('de').subarray(0, 1)]), f('de').subarray(1)], 2], // a tail
          [
            [f('abcde').subarray(0, headerSize - 1 || 1), f('abcde').subarray(headerSize - 1 || 1)],
            1,
          ],
          [[f('abcdef')], 1], // maxLength + 1: refused, nothing consumed
          [[Buffer.concat([f('a'), f('abcdef')])], 2],
        ];
        for (const [chunks, calls] of cases) {
          const general = await frames(chunks, calls, false, options);
          expect(await frames(chunks, calls, true, options)).toEqual(general);
        }
        expect(await frames([f('abcde')], 1, true, options)).toEqual(['6162636465']);
        expect(await frames([f('abcdef')], 1, true, options)).toEqual([
          'ERR_MAX_LENGTH',
          headerSize + 6,
        ]);
      });
    }
  }
});

describe('release', () => {
  it('with nothing buffered returns a new empty Buffer each time', () => {
    const first = createStreamReader(new PassThrough()).release();
    const second = createStreamReader(new PassThrough()).release({ unshift: true });
    expect(Buffer.isBuffer(first)).toBe(true);
    expect(first.byteLength).toBe(0);
    expect(second.byteLength).toBe(0);
    expect(first).not.toBe(second);
  });
});
