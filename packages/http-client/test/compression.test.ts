import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

let srv: TestServer;
const s = new Session();

beforeAll(async () => {
  srv = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const coding = url.searchParams.get('coding') ?? '';
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
