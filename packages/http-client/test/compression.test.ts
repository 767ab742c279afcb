import { createHook } from 'node:async_hooks';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecoders, MAX_CONTENT_CODINGS } from '../src/decode.js';
import { TooManyContentCodingsError } from '../src/errors.js';
import { ACCEPT_ENCODING, Session } from '../src/index.js';
import { rejection, startServer, type TestServer } from './helpers.js';

const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(500);
type Zstd = { zstdCompressSync?: (data: string) => Buffer };
const zstdCompress = (zlib as unknown as Zstd).zstdCompressSync;
const encoders: Record<string, (data: string) => Buffer> = {
  gzip: (d) => zlib.gzipSync(d),
  deflate: (d) => zlib.deflateSync(d),
  'raw-deflate': (d) => zlib.deflateRawSync(d),
  br: (d) => zlib.brotliCompressSync(d),
  'gzip-then-br': (d) => zlib.brotliCompressSync(zlib.gzipSync(d)),
};
if (zstdCompress) encoders.zstd = (d) => zstdCompress(d);

/** `data` gzipped `layers` times over. */
function gzipLayers(data: string, layers: number): Buffer {
  let body = Buffer.from(data);
  for (let i = 0; i < layers; i++) body = zlib.gzipSync(body);
  return body;
}

/** `size` zero bytes deflated, built from one reused 1 MiB block so no `size` buffer exists. */
async function deflatedZeros(size: number, raw: boolean): Promise<Buffer> {
  const deflate = raw ? zlib.createDeflateRaw({ level: 9 }) : zlib.createDeflate({ level: 9 });
  const block = Buffer.alloc(Math.min(size, 1 << 20));
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  for (let written = 0; written < size; written += block.byteLength) deflate.write(block);
  deflate.end();
  await new Promise((resolve) => deflate.once('end', resolve));
  return Buffer.concat(chunks);
}

/** zlib handles (gzip, deflate, brotli and zstd alike) created while `fn` runs. */
async function zlibHandlesCreatedBy(fn: () => Promise<unknown>): Promise<number> {
  let created = 0;
  const hook = createHook({
    init: (_id, type) => {
      if (type === 'ZLIB') created++;
    },
  });
  hook.enable();
  try {
    await fn();
  } finally {
    hook.disable();
  }
  return created;
}

/** Drains a stream, returning how many bytes it gave. */
async function byteCount(stream: AsyncIterable<Uint8Array>): Promise<number> {
  let total = 0;
  for await (const chunk of stream) total += chunk.byteLength;
  return total;
}

// Zeros compress about 1000:1, so a 64 KiB body inflates to all of this.
const BOMB_SIZE = 64 << 20;
const SMALL_BOMB_SIZE = 1 << 20;
const bombs: Record<string, { big: Buffer; small: Buffer }> = {};
const LAYERED = [MAX_CONTENT_CODINGS, MAX_CONTENT_CODINGS + 1].map((n) => gzipLayers(TEXT, n));
// Thousands of codings in one header (about 12 KB, under undici's 16 KiB header limit).
const THOUSANDS_OF_CODINGS = Array.from({ length: 2000 }, () => 'gzip').join(', ');
const GZIPPED = zlib.gzipSync(TEXT);
const DEFLATED = zlib.deflateSync(TEXT);

let srv: TestServer;
const s = new Session();

beforeAll(async () => {
  for (const kind of ['raw', 'zlib']) {
    bombs[kind] = {
      big: await deflatedZeros(BOMB_SIZE, kind === 'raw'),
      small: await deflatedZeros(SMALL_BOMB_SIZE, kind === 'raw'),
    };
  }
  srv = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const coding = url.searchParams.get('coding') ?? '';
    if (url.pathname === '/layers') {
      // ?n=layers of gzip, ?identity=how many identity codings to mix in.
      const layers = Number(url.searchParams.get('n'));
      const identity = Number(url.searchParams.get('identity') ?? 0);
      const header = [...Array(layers).fill('gzip'), ...Array(identity).fill('identity')];
      res.writeHead(200, { 'content-encoding': header.join(', ') });
      res.end(LAYERED[layers - MAX_CONTENT_CODINGS]);
      return;
    }
    if (url.pathname === '/thousands') {
      res.writeHead(200, { 'content-encoding': THOUSANDS_OF_CODINGS });
      res.end(GZIPPED);
      return;
    }
    if (url.pathname === '/bomb') {
      const bomb = bombs[url.searchParams.get('kind') ?? ''];
      res.writeHead(200, { 'content-encoding': 'deflate' });
      res.end(url.searchParams.has('small') ? bomb?.small : bomb?.big);
      return;
    }
    if (url.pathname === '/split-deflate') {
      // The zlib header's two bytes in separate chunks.
      res.writeHead(200, { 'content-encoding': 'deflate' });
      res.write(DEFLATED.subarray(0, 1));
      setTimeout(() => res.end(DEFLATED.subarray(1)), 20);
      return;
    }
    if (url.pathname === '/chunked') {
      // Several writes without Content-Length: Transfer-Encoding: chunked.
      let n = 0;
      const write = () => {
        if (n++ < 20) {
          res.write(`chunk ${n};`);
          setImmediate(write);
        } else res.end();
      };
      write();
      return;
    }
    if (url.pathname === '/plain') {
      res.writeHead(200, { 'content-length': Buffer.byteLength(TEXT), 'content-encoding': coding });
      res.end(TEXT);
      return;
    }
    if (url.pathname === '/corrupt') {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(Buffer.from('this is not gzip at all'));
      return;
    }
    const encode = encoders[coding];
    const header =
      coding === 'raw-deflate' ? 'deflate' : coding === 'gzip-then-br' ? 'gzip, br' : coding;
    res.writeHead(200, { 'content-encoding': header, 'content-type': 'text/plain' });
    res.end(req.method === 'HEAD' ? undefined : encode?.(TEXT));
  });
});

afterAll(async () => {
  await s.close();
  await srv.close();
});

describe('decompression', () => {
  it.each(Object.keys(encoders))('decodes %s bodies', async (coding) => {
    const r = await s.get(`${srv.url}/?coding=${coding}`);
    expect(r.text).toBe(TEXT);
  });

  it('advertises the codings this Node can decode, zstd only where zlib has it', () => {
    expect(ACCEPT_ENCODING.split(', ')).toEqual(
      zstdCompress ? ['gzip', 'deflate', 'br', 'zstd'] : ['gzip', 'deflate', 'br'],
    );
  });

  it('HEAD with Content-Encoding has no body to decode', async () => {
    const r = await s.head(`${srv.url}/?coding=gzip`);
    expect(r.statusCode).toBe(200);
    expect(r.content.byteLength).toBe(0);
  });

  it('a corrupt gzip body fails with ERR_DECOMPRESSION', async () => {
    const error = await rejection(() => s.get(`${srv.url}/corrupt`));
    expect(error.code).toBe('ERR_DECOMPRESSION');
  });

  it('reads chunked bodies fully', async () => {
    const r = await s.get(`${srv.url}/chunked`);
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(r.text).toBe(Array.from({ length: 20 }, (_, i) => `chunk ${i + 1};`).join(''));
  });

  it('enforces maxResponseSize with ERR_RESPONSE_TOO_LARGE, also after decompression', async () => {
    const plain = await rejection(() => s.get(`${srv.url}/chunked`, { maxResponseSize: 50 }));
    expect(plain.code).toBe('ERR_RESPONSE_TOO_LARGE');
    const zipped = await rejection(() =>
      s.get(`${srv.url}/?coding=gzip`, { maxResponseSize: 1000 }),
    );
    expect(zipped.code).toBe('ERR_RESPONSE_TOO_LARGE');
  });
});

describe('stream: true', () => {
  it('returns an async-iterable decompressed body and reports download progress', async () => {
    const progress: Array<{ loaded: number; total: number | undefined }> = [];
    const r = await s.get(`${srv.url}/?coding=gzip`, {
      stream: true,
      onDownloadProgress: (p) => progress.push(p),
    });
    expect(r.body).toBeInstanceOf(Readable);
    expect((await rejection(async () => r.text)).code).toBe('ERR_BODY_STREAMED');
    const chunks: Uint8Array[] = [];
    for await (const chunk of r.body ?? []) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe(TEXT);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)?.loaded).toBe(TEXT.length);
    expect(progress.at(-1)?.total).toBeUndefined(); // compressed: Content-Length is not the decoded size
  });

  it('reports Content-Length as total for an uncompressed body', async () => {
    const progress: Array<{ loaded: number; total: number | undefined }> = [];
    const r = await s.get(`${srv.url}/plain`, {
      stream: true,
      onDownloadProgress: (p) => progress.push(p),
    });
    let text = '';
    for await (const chunk of r.body ?? []) text += Buffer.from(chunk).toString();
    expect(text).toBe(TEXT);
    expect(progress.at(-1)).toEqual({ loaded: TEXT.length, total: TEXT.length });
  });

  it('a corrupt streamed body fails the iteration with ERR_DECOMPRESSION', async () => {
    const r = await s.get(`${srv.url}/corrupt`, { stream: true });
    const error = await rejection(async () => {
      for await (const _ of r.body ?? []) {
        // drain
      }
    });
    expect(error.code).toBe('ERR_DECOMPRESSION');
  });

  it('leaves a body with an unknown coding raw, as requests does', async () => {
    const r = await s.get(`${srv.url}/plain?coding=x-custom`);
    expect(r.headers['content-encoding']).toBe('x-custom');
    expect(r.text).toBe(TEXT);
  });
});

describe('stacked codings: at most MAX_CONTENT_CODINGS', () => {
  // One connection: a refused body must release it for the next request.
  const one = new Session({ connections: 1 });
  afterAll(() => one.close());

  async function read(path: string, stream: boolean): Promise<string> {
    const r = await one.get(`${srv.url}${path}`, { stream });
    if (!stream) return r.text;
    const chunks: Uint8Array[] = [];
    for await (const chunk of r.body ?? []) chunks.push(chunk);
    return Buffer.concat(chunks).toString();
  }

  it('is 5, as in undici', () => {
    expect(MAX_CONTENT_CODINGS).toBe(5);
  });

  for (const stream of [false, true]) {
    const mode = stream ? 'stream: true' : 'buffered';

    it(`${mode}: exactly ${MAX_CONTENT_CODINGS} gzip layers decode`, async () => {
      expect(await read(`/layers?n=${MAX_CONTENT_CODINGS}`, stream)).toBe(TEXT);
    });

    it(`${mode}: identity codings do not count towards the limit`, async () => {
      expect(await read(`/layers?n=${MAX_CONTENT_CODINGS}&identity=3`, stream)).toBe(TEXT);
    });

    it(`${mode}: ${MAX_CONTENT_CODINGS + 1} layers fail with ERR_TOO_MANY_CONTENT_CODINGS before any decoder exists`, async () => {
      let error: Error & { code?: string } = new Error('not set');
      const handles = await zlibHandlesCreatedBy(async () => {
        error = await rejection(() => read(`/layers?n=${MAX_CONTENT_CODINGS + 1}`, stream));
      });
      expect(error).toBeInstanceOf(TooManyContentCodingsError);
      expect(error.code).toBe('ERR_TOO_MANY_CONTENT_CODINGS');
      expect(error).toMatchObject({ codings: MAX_CONTENT_CODINGS + 1, maxCodings: 5 });
      expect(handles).toBe(0);
      // The refused body gave its connection back.
      expect(await read(`/layers?n=${MAX_CONTENT_CODINGS}`, stream)).toBe(TEXT);
    });

    it(`${mode}: a header of thousands of codings fails fast, creating no decoder`, async () => {
      let error: Error & { code?: string } = new Error('not set');
      const handles = await zlibHandlesCreatedBy(async () => {
        error = await rejection(() => read('/thousands', stream));
      });
      expect(error.code).toBe('ERR_TOO_MANY_CONTENT_CODINGS');
      expect(error).toMatchObject({ codings: 2000 });
      expect(handles).toBe(0);
      expect(await read(`/layers?n=${MAX_CONTENT_CODINGS}`, stream)).toBe(TEXT);
    });
  }
});

describe('deflate: raw or zlib-wrapped, inflated only as fast as it is read', () => {
  // Measuring buffers needs a collection first, so that garbage freed meanwhile cannot
  // hide an inflated body; --expose-gc set at run time gives this process gc().
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const bufferBytes = () => {
    gc();
    return process.memoryUsage().arrayBuffers;
  };
  // A few highWaterMarks of the stages between socket and consumer; the body is 64 MiB.
  const AHEAD_BOUND = 2 << 20;

  it('decodes a zlib-wrapped body whose first chunk is a single byte', async () => {
    expect((await s.get(`${srv.url}/split-deflate`)).text).toBe(TEXT);
  });

  for (const kind of ['raw', 'zlib']) {
    it(`${kind}: a 64 MiB bomb read slowly with stream: true keeps memory bounded`, async () => {
      const before = bufferBytes();
      const r = await s.get(`${srv.url}/bomb?kind=${kind}`, { stream: true });
      if (r.body === undefined) throw new Error('stream: true gave no body');
      const chunks = r.body[Symbol.asyncIterator]();
      let total = 0;
      try {
        for (let pause = 0; pause < 3; pause++) {
          // Take one chunk, then stall the consumer.
          total += (await chunks.next()).value?.byteLength ?? 0;
          await sleep(300);
          expect(bufferBytes() - before).toBeLessThan(AHEAD_BOUND);
        }
      } finally {
        // Also after a failure, so that nothing of this body is freed during the next test.
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
          total += next.value.byteLength;
        }
      }
      expect(total).toBe(BOMB_SIZE);
    });

    it(`${kind}: the deflate stage stops inflating while its buffer is full`, async () => {
      const [stage] = createDecoders(['deflate'], 'http://127.0.0.1/bomb');
      if (stage === undefined) throw new Error('no deflate stage');
      try {
        stage.end(bombs[kind]?.big);
        await sleep(300); // time to inflate tens of MiB, were nothing holding it back
        expect(stage.readableLength).toBeLessThan(AHEAD_BOUND);
        expect(await byteCount(stage)).toBe(BOMB_SIZE);
      } finally {
        // Also after a failure, so that nothing of this body is freed during the next test.
        await finished(stage.resume());
      }
    });

    it(`${kind}: maxResponseSize applies to the inflated size, at the boundary`, async () => {
      const url = `${srv.url}/bomb?kind=${kind}&small`;
      const exact = await s.get(url, { maxResponseSize: SMALL_BOMB_SIZE });
      expect(exact.content.byteLength).toBe(SMALL_BOMB_SIZE);
      const over = await rejection(() => s.get(url, { maxResponseSize: SMALL_BOMB_SIZE - 1 }));
      expect(over.code).toBe('ERR_RESPONSE_TOO_LARGE');
    });
  }
});
