// Request bodies and uploads: what encodeBody makes of each body option, then real exchanges
// with node:http servers (what arrives on the wire) and Python's http.server and email parser
// as an independent reader of our multipart bodies.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PYTHON, requirePython, startPeer, stopPeers } from '@net/test-peers';
import { type FormData as ParsedForm, Response as UndiciResponse } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EncodedBody, encodeBody, hasBodyOption, NO_BODY } from '../src/body.js';
import { type Progress, Session } from '../src/index.js';
import type { RequestOptions } from '../src/options.js';
import { rejection, startServer, type TestServer } from './helpers.js';

const KiB = 1024;
/** 200 KiB of random bytes: more than three 64 KiB progress chunks, not a multiple of them. */
const FILE_BYTES = randomBytes(200 * KiB + 7);

let dir: string;
let filePath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'http-client-uploads-'));
  filePath = join(dir, 'payload.bin');
  await writeFile(filePath, FILE_BYTES);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reads one attempt's body (what undici would send) into one buffer. */
async function readAttempt(body: EncodedBody): Promise<Buffer> {
  const value = body.open();
  if (value === undefined) return Buffer.alloc(0);
  if (typeof value === 'string') return Buffer.from(value);
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (value instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of value) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
  throw new Error('a FormData body: undici encodes it');
}

/** Parses a multipart body with undici's own parser (fetch's Response.formData()). */
function parseMultipart(contentType: string, bytes: Uint8Array): Promise<ParsedForm> {
  return new UndiciResponse(bytes, { headers: { 'content-type': contentType } }).formData();
}

async function fileEntry(
  form: ParsedForm,
  name: string,
): Promise<{ name: string; type: string; bytes: Buffer }> {
  const value = form.get(name);
  if (value === null || typeof value === 'string') throw new Error(`${name} is not a file part`);
  return { name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function encodeError(
  options: RequestOptions,
): Promise<Error & { code?: string; cause?: unknown }> {
  return rejection(() => encodeBody(options));
}

describe('encodeBody', () => {
  it('tells which options name a body', () => {
    expect(hasBodyOption({})).toBe(false);
    expect(hasBodyOption({ json: undefined, onUploadProgress: () => undefined })).toBe(false);
    expect(hasBodyOption({ json: null })).toBe(true);
    expect(hasBodyOption({ form: {} })).toBe(true);
    expect(hasBodyOption({ data: '' })).toBe(true);
    expect(hasBodyOption({ multipart: new FormData() })).toBe(true);
    expect(hasBodyOption({ files: {} })).toBe(true);
  });

  it('encodes json with its byte length, and json: undefined as no body', async () => {
    const body = await encodeBody({ json: { word: 'héllo' } });
    expect(body.contentType).toBe('application/json');
    expect(body.contentLength).toBe(Buffer.byteLength('{"word":"héllo"}'));
    expect((await readAttempt(body)).toString()).toBe('{"word":"héllo"}');
    expect(await encodeBody({ json: undefined })).toBe(NO_BODY);
    expect(NO_BODY.open()).toBeUndefined();
    expect(NO_BODY.replayable).toBe(true);
  });

  it('refuses json with a BigInt, a cycle or no JSON form (ERR_INVALID_ARGUMENT, cause kept)', async () => {
    const big = await encodeError({ json: { n: 1n } });
    expect(big.code).toBe('ERR_INVALID_ARGUMENT');
    expect(big.cause).toBeInstanceOf(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cycle = await encodeError({ json: cyclic });
    expect(cycle.code).toBe('ERR_INVALID_ARGUMENT');
    expect(cycle.cause).toBeInstanceOf(TypeError);
    expect((await encodeError({ json: () => 1 })).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('allows one body option, or files with text fields from data (an object) or form', async () => {
    const refused: RequestOptions[] = [
      { json: {}, data: 'x' },
      { form: { a: 1 }, data: 'x' },
      { multipart: new FormData(), json: 1 },
      { files: { f: new Uint8Array(1) }, json: {} },
      { files: { f: new Uint8Array(1) }, data: 'text' },
      { files: { f: new Uint8Array(1) }, multipart: new FormData() },
      { files: { f: new Uint8Array(1) }, data: { a: '1' }, form: { b: '2' } },
    ];
    for (const options of refused) {
      expect((await encodeError(options)).code).toBe('ERR_INVALID_ARGUMENT');
    }
    for (const options of [
      { files: { f: new Uint8Array(1) }, data: { a: '1' } },
      { files: { f: new Uint8Array(1) }, form: { a: '1' } },
    ]) {
      expect((await encodeBody(options)).contentType).toMatch(/^multipart\/form-data; boundary=/);
    }
  });

  it('sends strings, bytes, ArrayBuffers and any ArrayBufferView as their bytes', async () => {
    const text = await encodeBody({ data: 'ünïcode' });
    expect(text.contentLength).toBe(Buffer.byteLength('ünïcode'));
    expect(text.contentType).toBeUndefined();

    const source = Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const cases: [RequestOptions['data'], number[]][] = [
      [source.buffer, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
      [new DataView(source.buffer, 2, 3), [2, 3, 4]],
      [new Uint16Array(source.buffer, 4, 2), [4, 5, 6, 7]],
      [source.subarray(8), [8, 9]],
    ];
    for (const [data, expected] of cases) {
      const body = await encodeBody({ data });
      expect(body.contentLength).toBe(expected.length);
      expect(body.replayable).toBe(true);
      expect([...(await readAttempt(body))]).toEqual(expected);
    }
  });

  it('sends a Blob with its size and type, again on each attempt', async () => {
    const body = await encodeBody({ data: new Blob(['blob body'], { type: 'text/plain' }) });
    expect(body).toMatchObject({ contentLength: 9, contentType: 'text/plain', replayable: true });
    expect((await readAttempt(body)).toString()).toBe('blob body');
    expect((await readAttempt(body)).toString()).toBe('blob body');
    expect((await encodeBody({ data: new Blob(['x']) })).contentType).toBeUndefined();
  });

  it('refuses data of any other type, null included', async () => {
    const bad: unknown[] = [null, 42, true, new Date(), new Map(), [1, 2], Symbol('s')];
    for (const data of bad) {
      const error = await encodeError({ data: data as RequestOptions['data'] });
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    }
    expect((await encodeError({ form: null as unknown as Record<string, string> })).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect((await encodeError({ form: { a: { nested: 1 } as unknown as string } })).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('knows a file stream by its path: length from fs.stat, the same range read again later', async () => {
    const stream = createReadStream(filePath, { start: 10, end: 70_009 });
    const body = await encodeBody({ data: stream });
    expect(body).toMatchObject({ contentLength: 70_000, replayable: true });
    const first = body.open();
    expect(first).toBe(stream); // the caller's stream is sent as it is on the first attempt
    const expected = FILE_BYTES.subarray(10, 70_010);
    const again = await readAttempt(body);
    expect(again.equals(expected)).toBe(true);
    stream.destroy();

    const whole = await encodeBody({ data: createReadStream(filePath) });
    expect(whole.contentLength).toBe(FILE_BYTES.length);
    expect((await readAttempt(whole)).equals(FILE_BYTES)).toBe(true);
    expect((await readAttempt(whole)).equals(FILE_BYTES)).toBe(true);
  });

  it('refuses a file stream of a missing file without an unhandled error event', async () => {
    const missing = join(dir, 'missing.bin');
    const error = await encodeError({ data: createReadStream(missing) });
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toContain(missing);
    expect((error.cause as { code?: string }).code).toBe('ENOENT');
  });

  it('sends other streams once and with no length', async () => {
    const body = await encodeBody({ data: Readable.from([Buffer.from('a'), Buffer.from('b')]) });
    expect(body).toMatchObject({ contentLength: undefined, replayable: false });
    async function* generate() {
      yield new TextEncoder().encode('chunk');
    }
    const iterated = await encodeBody({ data: generate() });
    expect(iterated).toMatchObject({ contentLength: undefined, replayable: false });
    expect((await readAttempt(iterated)).toString()).toBe('chunk');
  });

  it('returns the body itself when no progress is asked for', async () => {
    const bytes = new Uint8Array(10);
    expect((await encodeBody({ data: bytes })).open()).toBe(bytes);
    expect((await encodeBody({ json: [1] })).open()).toBe('[1]');
    const stream = Readable.from(['x']);
    expect((await encodeBody({ data: stream })).open()).toBe(stream);
  });

  it('builds files as multipart with an exact length, text fields first, replayable', async () => {
    const body = await encodeBody({
      data: { title: 'report', tag: ['a', 'b'] },
      files: {
        upload: { path: filePath, contentType: 'application/x-test' },
        inline: { filename: 'note.txt', data: 'hello\nworld', contentType: 'text/plain' },
        raw: Uint8Array.from([0, 255, 13, 10, 45, 45]),
        buffer: Uint8Array.from([1, 2, 3]).buffer,
        blob: new Blob(['from a blob'], { type: 'text/csv' }),
        named: new File(['file object'], 'résumé.txt'),
      },
    });
    expect(body.replayable).toBe(true);
    const contentType = body.contentType as string;
    expect(contentType).toMatch(/^multipart\/form-data; boundary=[-\w]{1,70}$/);
    const bytes = await readAttempt(body);
    expect(bytes.length).toBe(body.contentLength);
    expect((await readAttempt(body)).equals(bytes)).toBe(true);

    const form = await parseMultipart(contentType, bytes);
    expect([...form.keys()]).toEqual([
      'title',
      'tag',
      'tag',
      'upload',
      'inline',
      'raw',
      'buffer',
      'blob',
      'named',
    ]);
    expect(form.get('title')).toBe('report');
    expect(form.getAll('tag')).toEqual(['a', 'b']);
    const upload = await fileEntry(form, 'upload');
    expect(upload.name).toBe('payload.bin');
    expect(upload.type).toBe('application/x-test');
    expect(upload.bytes.equals(FILE_BYTES)).toBe(true);
    expect(await fileEntry(form, 'inline')).toMatchObject({ name: 'note.txt', type: 'text/plain' });
    expect((await fileEntry(form, 'inline')).bytes.toString()).toBe('hello\nworld');
    const raw = await fileEntry(form, 'raw');
    expect(raw).toMatchObject({ name: 'raw', type: 'application/octet-stream' });
    expect([...raw.bytes]).toEqual([0, 255, 13, 10, 45, 45]);
    expect([...(await fileEntry(form, 'buffer')).bytes]).toEqual([1, 2, 3]);
    expect(await fileEntry(form, 'blob')).toMatchObject({ name: 'blob', type: 'text/csv' });
    expect((await fileEntry(form, 'named')).name).toBe('résumé.txt');
  });

  it('escapes quotes and line breaks in names as browsers do', async () => {
    const body = await encodeBody({
      files: { 'field"\r\nX-Injected: 1': { filename: 'a"b\r\nc.txt', data: 'x' } },
    });
    const text = (await readAttempt(body)).toString('latin1');
    expect(text).toContain('name="field%22%0D%0AX-Injected: 1"; filename="a%22b%0D%0Ac.txt"\r\n');
    expect(text).not.toContain('\r\nX-Injected');
  });

  it('refuses upload files of unknown shape, with both or neither of data and path', async () => {
    const bad: unknown[] = [
      'just a string',
      42,
      null,
      { data: 'x', path: filePath },
      { filename: 'f.txt' },
      { data: 'x', type: 'text/plain' },
      { data: 42 },
      { path: '' },
      { data: 'x', contentType: 'text/plain\r\nX-Injected: 1' },
      { data: 'x', filename: 7 },
    ];
    for (const file of bad) {
      const error = await encodeError({ files: { f: file as Uint8Array } });
      expect(error.code, JSON.stringify(file)).toBe('ERR_INVALID_ARGUMENT');
    }
    expect((await encodeError({ files: [] as unknown as Record<string, Uint8Array> })).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('refuses a missing file or a directory when the request is encoded, naming the path', async () => {
    const missing = join(dir, 'nope.bin');
    const error = await encodeError({ files: { f: { path: missing } } });
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toContain(missing);
    expect((error.cause as { code?: string }).code).toBe('ENOENT');
    const folder = join(dir, 'folder');
    await mkdir(folder, { recursive: true });
    expect((await encodeError({ files: { f: { path: folder } } })).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('fails with ERR_UPLOAD_SOURCE when a file shrinks between encoding and sending', async () => {
    const shrinking = join(dir, 'shrinking.bin');
    await writeFile(shrinking, FILE_BYTES);
    const body = await encodeBody({ files: { f: { path: shrinking } } });
    await truncate(shrinking, 1000);
    const error = await rejection(() => readAttempt(body));
    expect(error.code).toBe('ERR_UPLOAD_SOURCE');
  });

  it('streams file parts from disk in chunks, never the whole file at once', async () => {
    const body = await encodeBody({ files: { f: { path: filePath } } });
    const stream = body.open() as Readable;
    let largest = 0;
    let chunks = 0;
    for await (const chunk of stream) {
      largest = Math.max(largest, (chunk as Buffer).length);
      chunks++;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(largest).toBeLessThanOrEqual(64 * KiB);
  });

  it('reports progress in 64 KiB steps up to the total, from 0 again on each attempt', async () => {
    const seen: Progress[] = [];
    const body = await encodeBody({ data: FILE_BYTES, onUploadProgress: (p) => seen.push(p) });
    expect((await readAttempt(body)).equals(FILE_BYTES)).toBe(true);
    const steps = Math.ceil(FILE_BYTES.length / (64 * KiB));
    expect(seen).toHaveLength(steps);
    expect(seen[0]).toEqual({ loaded: 64 * KiB, total: FILE_BYTES.length });
    expect(seen.at(-1)).toEqual({ loaded: FILE_BYTES.length, total: FILE_BYTES.length });
    seen.length = 0;
    await readAttempt(body);
    expect(seen[0]?.loaded).toBe(64 * KiB);

    const empty: Progress[] = [];
    const none = await encodeBody({ data: '', onUploadProgress: (p) => empty.push(p) });
    expect((await readAttempt(none)).length).toBe(0);
    expect(empty).toEqual([{ loaded: 0, total: 0 }]);
  });

  it('counts a multipart FormData against an exact total when progress is asked for', async () => {
    const fd = new FormData();
    fd.append('field', 'line one\nline two');
    fd.append('file', new Blob([FILE_BYTES], { type: 'image/png' }), 'picture.png');
    const seen: Progress[] = [];
    const body = await encodeBody({ multipart: fd, onUploadProgress: (p) => seen.push(p) });
    const bytes = await readAttempt(body);
    expect(bytes.length).toBe(body.contentLength);
    expect(seen.at(-1)).toEqual({ loaded: bytes.length, total: bytes.length });
    const form = await parseMultipart(body.contentType as string, bytes);
    expect(form.get('field')).toBe('line one\r\nline two'); // normalised, as undici sends it
    const file = await fileEntry(form, 'file');
    expect(file).toMatchObject({ name: 'picture.png', type: 'image/png' });
    expect(file.bytes.equals(FILE_BYTES)).toBe(true);

    const plain = await encodeBody({ multipart: fd });
    expect(plain).toMatchObject({
      contentType: undefined,
      contentLength: undefined,
      replayable: true,
    });
  });

  it('refuses a progress callback that is not a function', async () => {
    const error = await encodeError({
      data: 'x',
      onUploadProgress: 'yes' as unknown as (p: Progress) => void,
    });
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
  });
});

/** What a test server saw of one request. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

describe('uploads over HTTP', () => {
  let srv: TestServer;
  let seen: Seen[] = [];
  let flaky = 0;
  const s = new Session();

  beforeAll(async () => {
    srv = await startServer(async (req, res) => {
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of req) chunks.push(chunk as Buffer);
      } catch {
        return; // a client that gave up mid-body (the throwing progress callback)
      }
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      if (req.url === '/redirect') {
        res.writeHead(307, { location: '/final' }).end();
      } else if (req.url === '/flaky' && flaky++ === 0) {
        res.writeHead(503, { 'retry-after': '0' }).end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }
    });
  });

  afterEach(() => {
    seen = [];
    flaky = 0;
  });

  afterAll(async () => {
    await s.close();
    await srv.close();
  });

  it('sends Blob, ArrayBuffer, DataView and file-stream bodies with Content-Length, not chunked', async () => {
    const view = new DataView(FILE_BYTES.buffer, FILE_BYTES.byteOffset + 5, 1000);
    const cases: [RequestOptions['data'], Buffer][] = [
      [new Blob([FILE_BYTES]), FILE_BYTES],
      [
        FILE_BYTES.buffer.slice(FILE_BYTES.byteOffset, FILE_BYTES.byteOffset + 300),
        FILE_BYTES.subarray(0, 300),
      ],
      [view, FILE_BYTES.subarray(5, 1005)],
      [createReadStream(filePath), FILE_BYTES],
      [createReadStream(filePath, { start: 100, end: 199 }), FILE_BYTES.subarray(100, 200)],
    ];
    for (const [data, expected] of cases) {
      const response = await s.post(`${srv.url}/upload`, { data });
      expect(response.statusCode).toBe(200);
      const request = seen.pop() as Seen;
      expect(request.headers['content-length']).toBe(String(expected.length));
      expect(request.headers['transfer-encoding']).toBeUndefined();
      expect(request.body.equals(expected)).toBe(true);
    }
  });

  it('sends a stream of unknown length chunked', async () => {
    await s.post(`${srv.url}/upload`, {
      data: Readable.from([Buffer.from('one '), Buffer.from('two')]),
    });
    const request = seen.pop() as Seen;
    expect(request.headers['transfer-encoding']).toBe('chunked');
    expect(request.headers['content-length']).toBeUndefined();
    expect(request.body.toString()).toBe('one two');
  });

  it('uploads files (from disk and memory) with text fields, as a multipart parser reads them', async () => {
    const response = await s.post(`${srv.url}/upload`, {
      form: { title: 'two files' },
      files: {
        doc: { path: filePath },
        note: { filename: 'note.txt', data: 'short note', contentType: 'text/plain' },
      },
    });
    expect(response.statusCode).toBe(200);
    const request = seen.pop() as Seen;
    expect(request.headers['transfer-encoding']).toBeUndefined();
    expect(Number(request.headers['content-length'])).toBe(request.body.length);
    const form = await parseMultipart(request.headers['content-type'] as string, request.body);
    expect(form.get('title')).toBe('two files');
    const doc = await fileEntry(form, 'doc');
    expect(doc.name).toBe('payload.bin');
    expect(doc.bytes.equals(FILE_BYTES)).toBe(true);
    expect((await fileEntry(form, 'note')).bytes.toString()).toBe('short note');
  });

  it('resends a file stream on a 307 redirect, from the start and with its length', async () => {
    const response = await s.post(`${srv.url}/redirect`, { data: createReadStream(filePath) });
    expect(response.statusCode).toBe(200);
    expect(response.history.map((r) => r.statusCode)).toEqual([307]);
    expect(seen.map((r) => r.url)).toEqual(['/redirect', '/final']);
    for (const request of seen) {
      expect(request.method).toBe('POST');
      expect(request.headers['content-length']).toBe(String(FILE_BYTES.length));
      expect(sha256(request.body)).toBe(sha256(FILE_BYTES));
    }
  });

  it('resends a files upload on a retry, reporting progress from 0 on each attempt', async () => {
    const progress: Progress[] = [];
    const response = await s.put(`${srv.url}/flaky`, {
      files: { doc: { path: filePath } },
      retries: { total: 1, backoff: 0 },
      onUploadProgress: (p) => progress.push(p),
    });
    expect(response.statusCode).toBe(200);
    expect(seen).toHaveLength(2);
    expect(seen[0]?.body.equals(seen[1]?.body as Buffer)).toBe(true);
    const total = seen[0]?.body.length;
    const restarts = progress.filter(
      (p, i) => i > 0 && p.loaded < (progress[i - 1] as Progress).loaded,
    );
    expect(restarts).toHaveLength(1);
    expect(progress.filter((p) => p.loaded === total)).toHaveLength(2);
    for (const p of progress) expect(p.total).toBe(total);
  });

  it('reports upload progress that grows to the total before the response', async () => {
    const progress: Progress[] = [];
    const response = await s.post(`${srv.url}/upload`, {
      data: createReadStream(filePath),
      onUploadProgress: (p) => progress.push({ ...p }),
    });
    expect(response.statusCode).toBe(200);
    expect(progress.length).toBeGreaterThan(2);
    for (let i = 1; i < progress.length; i++) {
      expect((progress[i] as Progress).loaded).toBeGreaterThan(
        (progress[i - 1] as Progress).loaded,
      );
    }
    expect(progress.at(-1)).toEqual({ loaded: FILE_BYTES.length, total: FILE_BYTES.length });
    expect((seen.pop() as Seen).body.equals(FILE_BYTES)).toBe(true);
  });

  it('counts an empty body and a FormData body over the wire, with their lengths', async () => {
    const empty: Progress[] = [];
    await s.post(`${srv.url}/upload`, { data: '', onUploadProgress: (p) => empty.push(p) });
    expect(empty).toEqual([{ loaded: 0, total: 0 }]);
    expect((seen.pop() as Seen).headers['content-length']).toBe('0');

    const fd = new FormData();
    fd.append('file', new Blob([FILE_BYTES]), 'big.bin');
    const progress: Progress[] = [];
    await s.post(`${srv.url}/upload`, { multipart: fd, onUploadProgress: (p) => progress.push(p) });
    const request = seen.pop() as Seen;
    expect(request.headers['content-length']).toBe(String(request.body.length));
    expect(progress.at(-1)).toEqual({ loaded: request.body.length, total: request.body.length });
    const form = await parseMultipart(request.headers['content-type'] as string, request.body);
    expect((await fileEntry(form, 'file')).bytes.equals(FILE_BYTES)).toBe(true);
  });

  it('refuses json with a BigInt or a cycle before sending (ERR_INVALID_ARGUMENT)', async () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    for (const json of [{ id: 2n ** 64n }, cyclic]) {
      const error = await rejection(() => s.post(`${srv.url}/upload`, { json }));
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(seen).toHaveLength(0);
  });

  it('fails the request with ERR_HOOK when the progress callback throws', async () => {
    const thrown = new Error('progress callback failed');
    const error = await rejection(() =>
      s.post(`${srv.url}/upload`, {
        data: FILE_BYTES,
        onUploadProgress: () => {
          throw thrown;
        },
      }),
    );
    expect(error.code).toBe('ERR_HOOK');
    expect(error.cause).toBe(thrown);
  });
});

describe('uploads to Python http.server', () => {
  // Reads the multipart body with the standard library's email parser and answers with what
  // it found, so our framing is checked by a parser we did not write.
  const SERVER = String.raw`
import email.parser, email.policy, hashlib, json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        head = b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n"
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        parts = []
        for part in message.iter_parts():
            payload = part.get_payload(decode=True)
            parts.append({
                "name": part.get_param("name", header="content-disposition"),
                "filename": part.get_filename(),
                "type": part.get_content_type() if "content-type" in part else None,
                "size": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest(),
            })
        out = json.dumps({
            "length": length,
            "chunked": self.headers.get("Transfer-Encoding"),
            "multipart": message.is_multipart(),
            "parts": parts,
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Handler)
print("port", server.server_address[1], flush=True)
server.serve_forever()
`;

  afterAll(stopPeers);

  it('parses a files upload as we meant it: fields, file names, types and bytes', async () => {
    requirePython();
    const peer = await startPeer(PYTHON, ['-c', SERVER], /port (\d+)/, { timeout: 60_000 });
    const s = new Session();
    try {
      const small = Uint8Array.from({ length: 256 }, (_, i) => i); // every byte value, CR and LF too
      const response = await s.post(`http://127.0.0.1:${peer.match[1]}/upload`, {
        data: { comment: 'from node', n: 3 },
        files: {
          report: { path: filePath, contentType: 'application/pdf' },
          bytes: { filename: 'all-bytes.bin', data: small },
          blob: new Blob(['name,value\n'], { type: 'text/csv' }),
        },
      });
      const parsed = response.json<{
        length: number;
        chunked: string | null;
        multipart: boolean;
        parts: {
          name: string;
          filename: string | null;
          type: string | null;
          size: number;
          sha256: string;
        }[];
      }>();
      expect(parsed.chunked).toBeNull();
      expect(parsed.multipart).toBe(true);
      expect(parsed.parts).toEqual([
        {
          name: 'comment',
          filename: null,
          type: null,
          size: 9,
          sha256: sha256(Buffer.from('from node')),
        },
        { name: 'n', filename: null, type: null, size: 1, sha256: sha256(Buffer.from('3')) },
        {
          name: 'report',
          filename: 'payload.bin',
          type: 'application/pdf',
          size: FILE_BYTES.length,
          sha256: sha256(FILE_BYTES),
        },
        {
          name: 'bytes',
          filename: 'all-bytes.bin',
          type: 'application/octet-stream',
          size: 256,
          sha256: sha256(small),
        },
        {
          name: 'blob',
          filename: 'blob',
          type: 'text/csv',
          size: 11,
          sha256: sha256(Buffer.from('name,value\n')),
        },
      ]);
    } finally {
      await s.close();
      await peer.stop();
    }
  });
});
