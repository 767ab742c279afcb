import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type NetError, recvArray, releaseStream, sendArray } from '../src/index.js';
import { collect, npyBytes, recvOne, streamOf } from './helpers.js';

const f8 = (values: number[]) => new Uint8Array(Float64Array.from(values).buffer);

async function failure(promise: Promise<unknown>): Promise<NetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as NetError;
}

describe('.npy headers written by sendArray', () => {
  it('pads the header so the data starts on a 64-byte boundary, and reads back', async () => {
    for (const shape of [[6], [2, 3], [1, 2, 3], [6, 1]]) {
      const out = new PassThrough();
      const bytes = collect(out);
      await sendArray(out, Float64Array.of(1, 2, 3, 4, 5, 6), { shape });
      out.end();
      const data = bytes();
      expect(data.subarray(0, 8)).toEqual(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]));
      const headerEnd = 10 + data.readUInt16LE(8);
      expect(headerEnd % 64).toBe(0);
      expect(data[headerEnd - 1]).toBe(0x0a);
      const dict = data.subarray(10, headerEnd).toString('latin1');
      expect(dict).toContain(
        `'shape': (${shape.length === 1 ? `${shape[0]},` : shape.join(', ')})`,
      );
      expect(dict).toContain("'descr': '<f8'");
      const got = await recvOne(streamOf(data));
      expect(got.shape).toEqual(shape);
      expect(Array.from(got.array as Float64Array)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('writes a 0-d array as shape () and bool as |b1', async () => {
    const out = new PassThrough();
    const bytes = collect(out);
    await sendArray(out, Float64Array.of(2.5), { shape: [] });
    await sendArray(out, Uint8Array.of(1, 0, 1), { dtype: 'bool' });
    out.end();
    const data = bytes();
    expect(data.toString('latin1')).toContain("'shape': ()");
    expect(data.toString('latin1')).toContain("'descr': '|b1'");
    const stream = streamOf(data);
    const zeroD = await recvOne(stream);
    expect(zeroD).toMatchObject({ dtype: 'float64', shape: [], descr: '<f8' });
    expect(zeroD.array[0]).toBe(2.5);
    const bools = await recvOne(stream);
    expect(bools).toMatchObject({ dtype: 'bool', shape: [3], descr: '|b1' });
    expect(Array.from(bools.array as Uint8Array)).toEqual([1, 0, 1]);
  });

  it('switches to version 2.0 when the header outgrows 65535 bytes', async () => {
    const shape = new Array(30_000).fill(1);
    const out = new PassThrough();
    const bytes = collect(out);
    await sendArray(out, Int16Array.of(-7), { shape });
    out.end();
    const data = bytes();
    expect(data[6]).toBe(2);
    expect((12 + data.readUInt32LE(8)) % 64).toBe(0);
    const refused = await failure(recvArray(streamOf(data)));
    expect(refused.code).toBe('ERR_ARRAY_TOO_LARGE'); // over the default maxHeaderBytes
    const got = await recvOne(streamOf(data), { maxHeaderBytes: 200_000 });
    expect(got.shape).toHaveLength(30_000);
    expect(got.array[0]).toBe(-7);
  });

  it('refuses shapes that do not match the array, and views without a dtype', async () => {
    const out = new PassThrough();
    expect((await failure(sendArray(out, new Float32Array(6), { shape: [4, 2] }))).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect((await failure(sendArray(out, new DataView(new ArrayBuffer(8))))).code).toBe(
      'ERR_UNSUPPORTED_DTYPE',
    );
    expect((await failure(sendArray(out, new Float32Array(2), { dtype: 'bool' }))).code).toBe(
      'ERR_UNSUPPORTED_DTYPE',
    );
  });
});

describe('.npy headers read by recvArray', () => {
  it('reads versions 1.0, 2.0 and 3.0', async () => {
    for (const major of [1, 2, 3]) {
      const data = npyBytes(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
        f8([1.5, -2]),
        major,
      );
      const got = await recvOne(streamOf(data));
      expect(Array.from(got.array as Float64Array)).toEqual([1.5, -2]);
    }
  });

  it('accepts the dictionary keys in any order and Python spacing', async () => {
    const data = npyBytes('{"shape":(1,2),"fortran_order":False,"descr":"<f8"}', f8([3, 4]));
    expect((await recvOne(streamOf(data))).shape).toEqual([1, 2]);
  });

  it('converts big-endian data to native order', async () => {
    const body = Buffer.alloc(8);
    body.writeInt32BE(-123456, 0);
    body.writeInt32BE(7, 4);
    const data = npyBytes("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", body);
    const got = await recvOne(streamOf(data));
    expect(got).toMatchObject({ dtype: 'int32', descr: '>i4' });
    expect(Array.from(got.array as Int32Array)).toEqual([-123456, 7]);
  });

  const cases: Array<[string, string, string]> = [
    [
      'fortran order',
      "{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }",
      'ERR_FORTRAN_ORDER',
    ],
    [
      'object dtype',
      "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
      'ERR_UNSUPPORTED_DTYPE',
    ],
    [
      'complex dtype',
      "{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }",
      'ERR_UNSUPPORTED_DTYPE',
    ],
    [
      'structured dtype',
      "{'descr': [('x', '<f4'), ('y', '<f4')], 'fortran_order': False, 'shape': (2,), }",
      'ERR_UNSUPPORTED_DTYPE',
    ],
    ['missing key', "{'descr': '<f8', 'shape': (2,), }", 'ERR_NPY_HEADER'],
    [
      'extra key',
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}",
      'ERR_NPY_HEADER',
    ],
    [
      'negative dimension',
      "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }",
      'ERR_NPY_HEADER',
    ],
    [
      'float dimension',
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2.0,), }",
      'ERR_NPY_HEADER',
    ],
    ['not a dict', "['descr', '<f8']", 'ERR_NPY_HEADER'],
    [
      'a function call',
      "{'descr': __import__('os'), 'fortran_order': False, 'shape': (2,)}",
      'ERR_NPY_HEADER',
    ],
    ['unterminated', "{'descr': '<f8, 'fortran_order': False, 'shape': (2,)}", 'ERR_NPY_HEADER'],
    [
      '1 TB',
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 125000), }",
      'ERR_ARRAY_TOO_LARGE',
    ],
    [
      '2^70 elements',
      "{'descr': '<u1', 'fortran_order': False, 'shape': (1180591620717411303424,), }",
      'ERR_NPY_HEADER',
    ],
  ];
  for (const [name, dict, code] of cases) {
    it(`fails with ${code} on ${name}, and closes the stream`, async () => {
      const stream = streamOf(npyBytes(dict, f8([1, 2])), false);
      const error = await failure(recvArray(stream));
      expect(error.code).toBe(code);
      expect(stream.destroyed).toBe(true);
    });
  }

  it('refuses a 1 TB array before allocating anything, whatever maxBytes allows up to', async () => {
    const dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (125000000000,), }";
    const stream = streamOf(npyBytes(dict, new Uint8Array(0)), false);
    const error = await failure(recvArray(stream, { maxBytes: 2 ** 31 }));
    expect(error).toMatchObject({
      code: 'ERR_ARRAY_TOO_LARGE',
      bytes: 1_000_000_000_000n,
      maxBytes: 2 ** 31,
    });
  });

  it('fails with ERR_NPY_HEADER on garbage instead of a header', async () => {
    const error = await failure(
      recvArray(streamOf(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))),
    );
    expect(error.code).toBe('ERR_NPY_HEADER');
    const badVersion = npyBytes(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
      f8([1, 2]),
    );
    badVersion[6] = 4;
    expect((await failure(recvArray(streamOf(badVersion)))).code).toBe('ERR_NPY_HEADER');
  });

  it('resolves null for a stream that ends before an array, and fails when cut at every byte of the header', async () => {
    const data = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", f8([1, 2]));
    const headerLength = 10 + data.readUInt16LE(8);
    // Cut before the first byte: a clean end between arrays, not an error.
    expect(await recvArray(streamOf(data.subarray(0, 0)))).toBeNull();
    for (let cut = 1; cut < headerLength; cut++) {
      const error = await failure(recvArray(streamOf(data.subarray(0, cut))));
      expect(error).toMatchObject({
        code: 'ERR_TRANSFER_INCOMPLETE',
        phase: 'header',
        bytesTransferred: cut,
      });
    }
    for (let cut = headerLength; cut < data.byteLength; cut++) {
      const error = await failure(recvArray(streamOf(data.subarray(0, cut))));
      expect(error).toMatchObject({
        code: 'ERR_TRANSFER_INCOMPLETE',
        phase: 'body',
        bytesTransferred: cut - headerLength,
        expected: 16,
      });
    }
  });

  it('reads many arrays back to back and leaves the bytes after them in the stream', async () => {
    const out = new PassThrough();
    const bytes = collect(out);
    await sendArray(out, Float64Array.of(1, 2, 3));
    await sendArray(out, Int8Array.of(-1, 2), { shape: [2, 1] });
    await sendArray(out, new Uint16Array(0));
    out.end();
    const stream = streamOf(Buffer.concat([bytes(), Buffer.from('tail')]));
    const a = await recvOne(stream);
    const b = await recvOne(stream);
    const c = await recvOne(stream);
    expect(Array.from(a.array as Float64Array)).toEqual([1, 2, 3]);
    expect(b).toMatchObject({ dtype: 'int8', shape: [2, 1] });
    expect(c).toMatchObject({ dtype: 'uint16', shape: [0] });
    expect(c.array).toHaveLength(0);
    // The stream has ended, so the bytes after the arrays cannot go back into it: they
    // wait for the next call, or for releaseStream.
    expect(Buffer.from(releaseStream(stream)).toString()).toBe('tail');
    expect(releaseStream(stream)).toHaveLength(0);
  });

  it('rejects bad options with ERR_INVALID_ARGUMENT', async () => {
    const stream = new PassThrough();
    expect((await failure(recvArray(stream, { maxBytes: -1 }))).code).toBe('ERR_INVALID_ARGUMENT');
    expect((await failure(recvArray(stream, { timeout: Number.NaN }))).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect((await failure(recvArray(stream, { chunkSize: 0 }))).code).toBe('ERR_INVALID_ARGUMENT');
    stream.destroy();
  });
});
