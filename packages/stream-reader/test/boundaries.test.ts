import { describe, expect, it } from 'vitest';
import { createStreamReader, type StreamReader } from '../src/index.js';
import { frame, patternBytes, rejectionOf, sourceOf, splitAt } from './helpers.js';

// One stream mixing every kind of read, so each boundary is tried against each parser.
const stream = Buffer.concat([
  frame('first frame'),
  Buffer.from('a line\r\n'),
  Buffer.from('record body--END--'),
  patternBytes(5, 7),
  frame(patternBytes(40, 3), 2, true),
  frame(''),
  Buffer.from('last line without newline'),
]);

async function readScript(reader: StreamReader): Promise<unknown[]> {
  const view = new Uint8Array(5);
  return [
    Buffer.from((await reader.readFrame())!).toString(),
    await reader.readLine(),
    Buffer.from(await reader.readUntil('--END--')).toString(),
    await reader.readInto(view).then(() => Buffer.from(view).toString('hex')),
    Buffer.from((await reader.readFrame({ headerSize: 2, byteOrder: 'little' }))!).toString('hex'),
    (await reader.readFrame())!.byteLength,
    await reader.readLine(),
    await reader.readLine(),
    await reader.readFrame(),
  ];
}

const expected = [
  'first frame',
  'a line',
  'record body--END--',
  patternBytes(5, 7).toString('hex'),
  patternBytes(40, 3).toString('hex'),
  0,
  'last line without newline',
  null,
  null,
];

describe('chunk boundaries', () => {
  it('reads the same values whatever single boundary splits the stream', async () => {
    for (let i = 0; i <= stream.byteLength; i++) {
      const reader = createStreamReader(sourceOf(splitAt(stream, [i])));
      expect(await readScript(reader), `split at ${i}`).toEqual(expected);
    }
  });

  it('reads the same values for every pair of boundaries', async () => {
    for (let i = 1; i < stream.byteLength; i++) {
      for (let j = i + 1; j < stream.byteLength; j++) {
        const reader = createStreamReader(sourceOf(splitAt(stream, [i, j])));
        expect(await readScript(reader), `split at ${i}, ${j}`).toEqual(expected);
      }
    }
  });

  it('reads the same values from one-byte chunks', async () => {
    const offsets = Array.from({ length: stream.byteLength - 1 }, (_, k) => k + 1);
    const reader = createStreamReader(sourceOf(splitAt(stream, offsets)));
    expect(await readScript(reader)).toEqual(expected);
  });
});

describe('truncation at every byte', () => {
  const frames = [frame('alpha'), frame(''), frame(patternBytes(30)), frame('omega!')];
  const whole = Buffer.concat(frames);
  const boundaries = new Set<number>([0]);
  let offset = 0;
  for (const f of frames) {
    offset += f.byteLength;
    boundaries.add(offset);
  }

  it('yields whole frames, then null at a frame boundary or ERR_STREAM_EOF with the partial frame', async () => {
    for (let cut = 0; cut <= whole.byteLength; cut++) {
      const reader = createStreamReader(sourceOf([whole.subarray(0, cut)]));
      let consumed = 0;
      for (;;) {
        const next = await reader
          .readFrame()
          .catch((error: unknown) => error as Record<string, unknown>);
        if (next === null) {
          expect(boundaries.has(cut), `clean end at ${cut}`).toBe(true);
          expect(consumed).toBe(cut);
          break;
        }
        if (!(next instanceof Uint8Array)) {
          expect(next.code, `cut at ${cut}`).toBe('ERR_STREAM_EOF');
          expect(boundaries.has(cut)).toBe(false);
          const partial = next.partial as Uint8Array;
          expect(consumed + partial.byteLength).toBe(cut);
          expect(Buffer.compare(Buffer.from(partial), whole.subarray(consumed, cut))).toBe(0);
          break;
        }
        consumed += 4 + next.byteLength;
      }
    }
  });

  it('readExactly and readLine report the exact partial bytes at every cut', async () => {
    const text = Buffer.from('0123456789');
    for (let cut = 0; cut < text.byteLength; cut++) {
      const reader = createStreamReader(sourceOf([text.subarray(0, cut)]));
      const error = await rejectionOf(reader.readExactly(10));
      expect(error.code).toBe('ERR_STREAM_EOF');
      expect(Buffer.from(error.partial as Uint8Array).toString()).toBe(
        text.subarray(0, cut).toString(),
      );
      const strict = createStreamReader(sourceOf([text.subarray(0, cut)]));
      const untilError = await rejectionOf(strict.readUntil('\n'));
      expect(untilError.code).toBe('ERR_STREAM_EOF');
      expect((untilError.partial as Uint8Array).byteLength).toBe(cut);
    }
  });
});
