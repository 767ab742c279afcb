import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGzip, gzipSync, constants as zlibConstants } from 'node:zlib';
import { MaxLengthError } from '@net/stream-reader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyConsumedError, LineTooLongError } from '../src/errors.js';
import {
  AbortedError,
  JsonDecodeError,
  ReadTimeoutError,
  type Response,
  Session,
} from '../src/index.js';
import {
  iterChunks,
  iterServerSentEvents,
  iterTextLines,
  type ServerSentEvent,
} from '../src/iter.js';
import { rejection, startServer, type TestServer } from './helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let srv: TestServer;
const routes = new Map<string, Handler>();
let routeCount = 0;
const s = new Session();

beforeAll(async () => {
  srv = await startServer((req, res) => {
    const handler = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (handler === undefined) {
      res.writeHead(404).end();
      return;
    }
    handler(req, res);
  });
});

afterAll(async () => {
  await s.close();
  await srv.close();
});

/** Serves `handler` under a fresh path; returns its URL. */
function route(handler: Handler): string {
  const path = `/r${++routeCount}`;
  routes.set(path, handler);
  return `${srv.url}${path}`;
}

/**
 * Serves `pieces` as separate writes (chunked encoding) with a pause between them, so that
 * they reach the client as separate chunks.
 */
function pieces(parts: (string | Uint8Array)[], headers: Record<string, string> = {}): string {
  return route((_req, res) => {
    res.writeHead(200, headers);
    void (async () => {
      for (const part of parts) {
        if (res.destroyed) return;
        res.write(part);
        await sleep(15);
      }
      res.end();
    })();
  });
}

/** A promise with its resolve function, for lock-stepping a server with the client. */
function gate(): { promise: Promise<boolean>; resolve: () => void } {
  let resolve!: (value: boolean) => void;
  const promise = new Promise<boolean>((r) => {
    resolve = r;
  });
  return { promise, resolve: () => resolve(true) };
}

/** Resolves `true` when `promise` does within `ms`, else `false` (so a server never hangs). */
function within(promise: Promise<boolean>, ms: number): Promise<boolean> {
  return Promise.race([promise, sleep(ms, false)]);
}

/** Collects at most `limit` items (a runaway iterator fails the test instead of hanging). */
async function take<T>(iterator: AsyncIterable<T>, limit = 1000): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) {
    out.push(item);
    if (out.length > limit) throw new Error(`more than ${limit} items`);
  }
  return out;
}

/** Every way to cut `bytes` into two chunks, plus one byte per chunk. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (let cut = 0; cut <= bytes.byteLength; cut++) {
    out.push([bytes.subarray(0, cut), bytes.subarray(cut)]);
  }
  out.push([...bytes].map((byte) => Uint8Array.of(byte)));
  return out;
}

async function* chunks(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

async function linesOf(parts: Uint8Array[], charset = 'utf-8', max = 0): Promise<string[]> {
  return take(iterTextLines(chunks(parts), charset, max, 'http://test/'));
}

async function eventsOf(text: string): Promise<ServerSentEvent[]> {
  return take(iterServerSentEvents(Buffer.from(text), 0, 'http://test/'));
}

const message = (data: string, id = '', retry?: number): ServerSentEvent => ({
  event: 'message',
  data,
  id,
  retry,
});

describe('iterContent', () => {
  const body = Buffer.alloc(10_000, 0);
  for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 251;
  // Irregular pieces, so chunks straddle every kind of boundary.
  const cuts = [1, 4095, 4096, 3, 1805];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const size of cuts) {
    parts.push(body.subarray(offset, offset + size));
    offset += size;
  }

  it('yields chunks of exactly chunkSize bytes, the last one shorter (streamed)', async () => {
    const r = await s.get(pieces(parts), { stream: true });
    const got = await take(r.iterContent(4096));
    expect(got.map((chunk) => chunk.byteLength)).toEqual([4096, 4096, 1808]);
    expect(Buffer.concat(got).equals(body)).toBe(true);
  });

  it('yields the same chunks from a buffered response, as often as asked', async () => {
    const r = await s.get(pieces(parts));
    for (let round = 0; round < 2; round++) {
      const got = await take(r.iterContent(4096));
      expect(got.map((chunk) => chunk.byteLength)).toEqual([4096, 4096, 1808]);
      expect(Buffer.concat(got).equals(body)).toBe(true);
    }
  });

  it('defaults to 8192 bytes; a body of exactly chunkSize is one chunk', async () => {
    const r = await s.get(pieces(parts), { stream: true });
    expect((await take(r.iterContent())).map((c) => c.byteLength)).toEqual([8192, 1808]);
    const exact = await s.get(pieces([body.subarray(0, 100), body.subarray(100, 4096)]), {
      stream: true,
    });
    expect((await take(exact.iterContent(4096))).map((c) => c.byteLength)).toEqual([4096]);
  });

  it('re-chunks exactly however the input is cut', async () => {
    const bytes = Uint8Array.from({ length: 23 }, (_, i) => i);
    for (const parts of splits(bytes)) {
      for (let size = 1; size <= 24; size++) {
        const got = await take(iterChunks(chunks(parts), size));
        const sizes = got.map((chunk) => chunk.byteLength);
        const expected = Array.from({ length: Math.ceil(23 / size) }, (_, i) =>
          Math.min(size, 23 - i * size),
        );
        expect(sizes).toEqual(expected);
        expect(Buffer.concat(got).equals(bytes)).toBe(true);
      }
    }
  });

  it('chunkSize 1 yields every byte on its own', async () => {
    const r = await s.get(pieces(['ab', 'c']), { stream: true });
    const got = await take(r.iterContent(1));
    expect(got.map((chunk) => Buffer.from(chunk).toString())).toEqual(['a', 'b', 'c']);
  });

  it('an empty body yields no chunk', async () => {
    const r = await s.get(pieces([]), { stream: true });
    expect(await take(r.iterContent(16))).toEqual([]);
  });

  it('refuses a chunkSize that is not a whole number >= 1, without consuming the body', async () => {
    const r = await s.get(pieces(['abc']), { stream: true });
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '8' as unknown]) {
      let error: (Error & { code?: string }) | undefined;
      try {
        r.iterContent(bad as number);
      } catch (caught) {
        error = caught as Error & { code?: string };
      }
      expect(error?.code, String(bad)).toBe('ERR_INVALID_ARGUMENT');
      expect(error?.name).toBe('InvalidOptionError');
    }
    expect(Buffer.concat(await take(r.iterContent(2))).toString()).toBe('abc');
  });
});

describe('iterLines', () => {
  it('splits on \\n, \\r\\n and a lone \\r, endings excluded, last line without ending', async () => {
    const r = await s.get(pieces(['one\ntwo\r\nthree\rfour\n\nfive']), { stream: true });
    expect(await take(r.iterLines())).toEqual(['one', 'two', 'three', 'four', '', 'five']);
  });

  it('a trailing line ending adds no empty line; an empty body has no lines', async () => {
    const r = await s.get(pieces(['a\nb\n']), { stream: true });
    expect(await take(r.iterLines())).toEqual(['a', 'b']);
    const empty = await s.get(pieces([]), { stream: true });
    expect(await take(empty.iterLines())).toEqual([]);
  });

  it('yields a line at its \\r at once, and a \\n in the next chunk is the same ending', async () => {
    const gotA = gate();
    let lockStepped = false;
    const url = route((_req, res) => {
      res.writeHead(200);
      res.write('a\r');
      void within(gotA.promise, 2_000).then((ok) => {
        lockStepped = ok;
        res.end('\nb\r\n\rc');
      });
    });
    const r = await s.get(url, { stream: true });
    const lines: string[] = [];
    for await (const line of r.iterLines()) {
      lines.push(line);
      if (line === 'a') gotA.resolve();
      if (lines.length > 10) break;
    }
    expect(lockStepped).toBe(true);
    expect(lines).toEqual(['a', 'b', '', 'c']);
  });

  it('\\r\\n split between chunks at every position gives the same lines', async () => {
    const text = Buffer.from('ab\r\ncd\r\n\r\nef\rgh\n\ni\r');
    for (const parts of splits(text)) {
      expect(await linesOf(parts)).toEqual(['ab', 'cd', '', 'ef', 'gh', '', 'i']);
    }
  });

  it('a multi-byte UTF-8 character split between chunks decodes whole', async () => {
    const text = Buffer.from('né€𝄞\nok');
    for (const parts of splits(text)) expect(await linesOf(parts)).toEqual(['né€𝄞', 'ok']);
    // And over the network, each byte of '€' written separately.
    const euro = Buffer.from('€');
    const r = await s.get(
      pieces([Buffer.from('x'), euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2), '\n']),
      { stream: true },
    );
    expect(await take(r.iterLines())).toEqual(['x€']);
  });

  it('decodes with the charset of Content-Type (also UTF-16, split anywhere)', async () => {
    const r = await s.get(
      pieces([Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0d, 0x0a, 0x78])], {
        'content-type': 'text/plain; charset=iso-8859-1',
      }),
      { stream: true },
    );
    expect(r.encoding).toBe('iso-8859-1');
    expect(await take(r.iterLines())).toEqual(['café', 'x']);
    const utf16 = Buffer.from('\ufeffπ\r\n€\rz', 'utf16le');
    for (const parts of splits(utf16)) {
      expect(await linesOf(parts, 'utf-16le')).toEqual(['π', '€', 'z']);
    }
  });

  it('drops a leading BOM only: U+FEFF starting a later line is content', async () => {
    const bytes = Buffer.from('\ufeffa\n\ufeffb');
    const r = await s.get(pieces([bytes.subarray(0, 2), bytes.subarray(2)]), { stream: true });
    expect(await take(r.iterLines())).toEqual(['a', '\ufeffb']);
    for (const parts of splits(bytes)) expect(await linesOf(parts)).toEqual(['a', '\ufeffb']);
  });

  it('a buffered response iterates its content', async () => {
    const r = await s.get(pieces(['x\r\ny']));
    expect(await take(r.iterLines())).toEqual(['x', 'y']);
    expect(await take(r.iterLines())).toEqual(['x', 'y']);
  });
});

describe('maxLineLength', () => {
  const max = 64;
  const exact = 'a'.repeat(max);
  const over = 'a'.repeat(max + 1);

  it('a line of exactly maxLineLength bytes passes, one more fails with ERR_MAX_LENGTH', async () => {
    const ok = await s.get(pieces([`${exact}\n`, `${exact}\r\n`, exact]), { stream: true });
    expect(await take(ok.iterLines({ maxLineLength: max }))).toEqual([exact, exact, exact]);
    const bad = await s.get(pieces([`short\n${over}\n`]), { stream: true });
    const seen: string[] = [];
    const error = await rejection(async () => {
      for await (const line of bad.iterLines({ maxLineLength: max })) seen.push(line);
    });
    expect(seen).toEqual(['short']);
    expect(error.code).toBe('ERR_MAX_LENGTH');
    expect(error).toBeInstanceOf(LineTooLongError);
    expect(error).toBeInstanceOf(MaxLengthError);
    expect((error as LineTooLongError).maxLength).toBe(max);
    expect((error as LineTooLongError).length).toBe(max + 1);
  });

  it('counts bytes, not characters, and the line ending not at all', async () => {
    const twoByte = 'é'.repeat(max / 2); // exactly `max` bytes
    const ok = await s.get(pieces([`${twoByte}\r\n`]), { stream: true });
    expect(await take(ok.iterLines({ maxLineLength: max }))).toEqual([twoByte]);
    const bad = await s.get(pieces([`${twoByte}a\r\n`]), { stream: true });
    const error = await rejection(() => take(bad.iterLines({ maxLineLength: max })));
    expect(error.code).toBe('ERR_MAX_LENGTH');
  });

  it('holds at the boundary however the line is cut into chunks, terminated or not', async () => {
    for (const text of [exact, `${exact}\n`, `${exact}\r`, `${exact}\r\n`]) {
      for (const parts of splits(Buffer.from(text))) {
        expect(await linesOf(parts, 'utf-8', max)).toEqual([exact]);
      }
    }
    for (const text of [over, `${over}\n`, `${over}\r\n`]) {
      for (const parts of splits(Buffer.from(text))) {
        const error = await rejection(() => linesOf(parts, 'utf-8', max));
        expect(error.code).toBe('ERR_MAX_LENGTH');
      }
    }
  });

  it('fails a line that never ends as soon as it passes the limit (a streamed body)', async () => {
    const url = route((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('x'.repeat(16)), 5);
      res.on('close', () => clearInterval(timer));
    });
    const r = await s.get(url, { stream: true });
    const error = await rejection(() => take(r.iterLines({ maxLineLength: 100 })));
    expect(error.code).toBe('ERR_MAX_LENGTH');
    expect((error as LineTooLongError).length).toBeLessThanOrEqual(100 + 16 * 4);
  });

  it('applies to iterJson and iterEvents too; 0 means no limit', async () => {
    const json = `"${'j'.repeat(max - 2)}"`;
    const r1 = await s.get(pieces([`${json}\n`]));
    expect(await take(r1.iterJson({ maxLineLength: max }))).toEqual([JSON.parse(json)]);
    expect((await rejection(() => take(r1.iterJson({ maxLineLength: max - 1 })))).code).toBe(
      'ERR_MAX_LENGTH',
    );
    const event = `data:${'d'.repeat(max - 5)}`;
    const r2 = await s.get(pieces([`${event}\n\n`]));
    expect(await take(r2.iterEvents({ maxLineLength: max }))).toEqual([
      message('d'.repeat(max - 5)),
    ]);
    expect((await rejection(() => take(r2.iterEvents({ maxLineLength: max - 1 })))).code).toBe(
      'ERR_MAX_LENGTH',
    );
    const long = 'L'.repeat(2 * 1024 * 1024 + 1);
    const r3 = await s.get(pieces([long]));
    expect((await rejection(() => take(r3.iterLines()))).code).toBe('ERR_MAX_LENGTH');
    expect(await take(r3.iterLines({ maxLineLength: 0 }))).toEqual([long]);
  });

  it('the default is 1 MiB', async () => {
    const mib = 1024 * 1024;
    const r = await s.get(pieces(['a'.repeat(mib), '\n', 'b'.repeat(mib + 1)]));
    const lines: number[] = [];
    const error = await rejection(async () => {
      for await (const line of r.iterLines()) lines.push(line.length);
    });
    expect(lines).toEqual([mib]);
    expect(error.code).toBe('ERR_MAX_LENGTH');
  });

  it('refuses a maxLineLength that is not a whole number >= 0', async () => {
    const r = await s.get(pieces(['x']));
    for (const bad of [-1, 1.5, Number.NaN, '10' as unknown]) {
      for (const call of [
        () => r.iterLines({ maxLineLength: bad as number }),
        () => r.iterJson({ maxLineLength: bad as number }),
        () => r.iterEvents({ maxLineLength: bad as number }),
      ]) {
        expect(() => call()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
      }
    }
  });
});

describe('iterJson', () => {
  it('parses each non-blank line (NDJSON), whatever the line endings', async () => {
    const r = await s.get(pieces(['{"a":1}\n\n  \r\n[1,', '2]\r"s"\r\n', '3']), { stream: true });
    expect(await take(r.iterJson())).toEqual([{ a: 1 }, [1, 2], 's', 3]);
  });

  it('a line that is not JSON fails with ERR_JSON_DECODE after the good ones', async () => {
    const r = await s.get(pieces(['{"ok":true}\n{"broken":\n{"never":1}\n']), { stream: true });
    const seen: unknown[] = [];
    const error = await rejection(async () => {
      for await (const value of r.iterJson()) seen.push(value);
    });
    expect(seen).toEqual([{ ok: true }]);
    expect(error).toBeInstanceOf(JsonDecodeError);
    expect(error.code).toBe('ERR_JSON_DECODE');
    expect((error as JsonDecodeError).excerpt).toBe('{"broken":');
  });

  it('decodes a gzip-compressed NDJSON body on the fly', async () => {
    const gotFirst = gate();
    let lockStepped = false;
    const url = route((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
      const gzip = createGzip();
      gzip.pipe(res);
      gzip.write('{"n":1}\n');
      gzip.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        // The second record is only compressed once the client has decoded the first.
        void within(gotFirst.promise, 2_000).then((ok) => {
          lockStepped = ok;
          gzip.end('{"n":2}\n{"n":3}');
        });
      });
    });
    const r = await s.get(url, { stream: true });
    const seen: unknown[] = [];
    for await (const value of r.iterJson<{ n: number }>()) {
      seen.push(value);
      if (value.n === 1) gotFirst.resolve();
      if (seen.length > 10) break;
    }
    expect(lockStepped).toBe(true);
    expect(seen).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    // And the same body buffered.
    const buffered = await s.get(
      route((_req, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end(gzipSync('{"n":1}\r\n{"n":2}\n'));
      }),
    );
    expect(await take(buffered.iterJson())).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

describe('iterEvents (WHATWG event stream interpretation)', () => {
  it('joins data lines with \\n: the stock ticker example', async () => {
    const r = await s.get(pieces(['data: YHOO\n', 'data: +2\n', 'data: 10\n', '\n']), {
      stream: true,
      headers: { accept: 'text/event-stream' },
    });
    expect(await take(r.iterEvents())).toEqual([message('YHOO\n+2\n10')]);
  });

  it('comments, id carried over and reset, one leading space removed', async () => {
    const stream =
      ': test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n';
    expect(await eventsOf(stream)).toEqual([
      message('first event', '1'),
      message('second event', ''),
      message(' third event', ''),
    ]);
    expect(await eventsOf('id: 7\ndata: a\n\ndata: b\n\n')).toEqual([
      message('a', '7'),
      message('b', '7'),
    ]);
  });

  it('`data` and `data:` with empty values; an unfinished event at the end is discarded', async () => {
    expect(await eventsOf('data\n\ndata\ndata\n\ndata:')).toEqual([message(''), message('\n')]);
    expect(await eventsOf('data:test\n\ndata: test\n\n')).toEqual([
      message('test'),
      message('test'),
    ]);
    expect(await eventsOf('data: complete\n\ndata: never dispatched\n')).toEqual([
      message('complete'),
    ]);
  });

  it('event types, reset after each dispatch; blocks without data dispatch nothing', async () => {
    const stream =
      'event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n' +
      'event: lonely\n\ndata: plain\n\n';
    expect((await eventsOf(stream)).map((e) => [e.event, e.data])).toEqual([
      ['add', '73857293'],
      ['remove', '2153'],
      ['add', '113411'],
      ['message', 'plain'],
    ]);
  });

  it('retry: digits only, carried over to later events (also from a block without data)', async () => {
    const stream =
      'data: before\n\nretry: 1000\n\ndata: a\n\nretry: 5x\ndata: b\n\nretry: -1\nretry: 2500\ndata: c\n\n' +
      'retry\nretry: \ndata: d\n\n';
    expect(await eventsOf(stream)).toEqual([
      message('before'),
      message('a', '', 1000),
      message('b', '', 1000),
      message('c', '', 2500),
      message('d', '', 2500),
    ]);
  });

  it('an id containing NULL is ignored; unknown fields and case variants are ignored', async () => {
    const stream = 'id: 5\ndata: a\n\nid: 6\u0000x\nData: no\nfoo: bar\ndata: b\n\n';
    expect(await eventsOf(stream)).toEqual([message('a', '5'), message('b', '5')]);
  });

  it('CR, LF and CRLF endings, cut anywhere between chunks', async () => {
    const text = Buffer.from('data: x\r\ndata: y\r\r\nid: 1\ndata: é\n\r: c\r\ndata:z\r\n\r\n');
    for (const parts of splits(text)) {
      const got = await take(iterServerSentEvents(chunks(parts), 0, 'http://test/'));
      expect(got).toEqual([message('x\ny'), message('é', '1'), message('z', '1')]);
    }
  });

  it('a leading BOM is dropped, a second one is not; UTF-8 whatever the charset says', async () => {
    expect(await eventsOf('\ufeffdata: a\n\n')).toEqual([message('a')]);
    expect(await eventsOf('\ufeff\ufeffdata: a\n\n')).toEqual([]);
    const r = await s.get(
      pieces(['data: caf', Buffer.from([0xc3]), Buffer.from([0xa9]), '\n\n'], {
        'content-type': 'text/event-stream; charset=iso-8859-1',
      }),
      { stream: true },
    );
    expect(await take(r.iterEvents())).toEqual([message('café')]);
  });

  it('a buffered response iterates its content', async () => {
    const r = await s.get(pieces(['event: e\ndata: 1\n\n']));
    expect(await take(r.iterEvents())).toEqual([
      { event: 'e', data: '1', id: '', retry: undefined },
    ]);
  });
});

describe('a streamed body is read once', () => {
  it('a second iter call fails with ERR_BODY_CONSUMED, before or after the first ran', async () => {
    const r = await s.get(pieces(['a\nb\n']), { stream: true });
    const first = r.iterLines();
    expect(() => r.iterContent()).toThrow(BodyConsumedError);
    expect(await take(first)).toEqual(['a', 'b']);
    for (const call of [() => r.iterLines(), () => r.iterJson(), () => r.iterEvents()]) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_BODY_CONSUMED' }));
    }
  });

  it('a body already iterated directly cannot be iterated again', async () => {
    const r = await s.get(pieces(['a\n', 'b\n']), { stream: true });
    for await (const _chunk of r.body as AsyncIterable<Uint8Array>) break;
    expect(() => r.iterLines()).toThrow(expect.objectContaining({ code: 'ERR_BODY_CONSUMED' }));
  });
});

describe('leaving a loop early releases the connection', () => {
  const methods: [string, (r: Response) => AsyncIterable<unknown>][] = [
    ['iterContent', (r) => r.iterContent(4)],
    ['iterLines', (r) => r.iterLines()],
    ['iterJson', (r) => r.iterJson()],
    ['iterEvents', (r) => r.iterEvents()],
  ];

  for (const [name, iterate] of methods) {
    it(`break out of ${name} destroys the body: the server sees the close, the pool goes on`, async () => {
      const one = new Session({ connections: 1 });
      let closed = gate();
      // An endless body: events for iterEvents, NDJSON numbers for the others.
      const url = route((_req, res) => {
        res.writeHead(200);
        let n = 0;
        const timer = setInterval(() => {
          n++;
          res.write(name === 'iterEvents' ? `data: ${n}\n\n` : `${n}\n`);
        }, 10);
        res.on('close', () => {
          clearInterval(timer);
          closed.resolve();
        });
      });
      try {
        for (let round = 0; round < 2; round++) {
          closed = gate();
          const r = await one.get(url, { stream: true });
          let seen = 0;
          for await (const _item of iterate(r)) {
            if (++seen === 2) break;
          }
          expect(seen).toBe(2);
          expect(await within(closed.promise, 2_000)).toBe(true);
        }
        // The single connection is free again for an ordinary request.
        const after = await one.get(pieces(['done']), { timeout: 2_000 });
        expect(after.text).toBe('done');
      } finally {
        await one.close();
      }
    });
  }

  it('an error thrown in the loop, or a too long line, destroys the body too', async () => {
    let closed = gate();
    const url = route((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('{"x":1}\n'), 10);
      res.on('close', () => {
        clearInterval(timer);
        closed.resolve();
      });
    });
    const r1 = await s.get(url, { stream: true });
    const thrown = await rejection(async () => {
      for await (const _value of r1.iterJson()) throw new Error('consumer failed');
    });
    expect(thrown.message).toBe('consumer failed');
    expect(await within(closed.promise, 2_000)).toBe(true);
    closed = gate();
    const r2 = await s.get(url, { stream: true });
    expect((await rejection(() => take(r2.iterLines({ maxLineLength: 6 })))).code).toBe(
      'ERR_MAX_LENGTH',
    );
    expect(await within(closed.promise, 2_000)).toBe(true);
  });
});

describe('body timeout and signal', () => {
  /** Two events, then silence (the response never ends). */
  function stalling(): string {
    return route((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      setTimeout(() => res.write('data: two\n\n'), 20);
    });
  }

  it('a body that stalls past timeout.body fails the loop with ERR_READ_TIMEOUT', async () => {
    for (const [name, iterate] of [
      ['iterEvents', (r: Response) => r.iterEvents()],
      ['iterLines', (r: Response) => r.iterLines()],
      ['iterContent', (r: Response) => r.iterContent(1)],
    ] as const) {
      const r = await s.get(stalling(), { stream: true, timeout: { body: 200 } });
      let seen = 0;
      const started = performance.now();
      const error = await rejection(async () => {
        for await (const _item of iterate(r)) if (++seen > 1000) break;
      });
      expect(error, name).toBeInstanceOf(ReadTimeoutError);
      expect(error.code).toBe('ERR_READ_TIMEOUT');
      expect((error as ReadTimeoutError).phase).toBe('body');
      expect(seen).toBeGreaterThan(0);
      expect(performance.now() - started).toBeLessThan(2_000);
    }
  });

  it('aborting the signal mid-stream fails the loop with ERR_ABORTED', async () => {
    const controller = new AbortController();
    const url = route((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let n = 0;
      const timer = setInterval(() => res.write(`data: ${++n}\n\n`), 10);
      res.on('close', () => clearInterval(timer));
    });
    const r = await s.get(url, { stream: true, signal: controller.signal });
    const seen: string[] = [];
    const error = await rejection(async () => {
      for await (const event of r.iterEvents()) {
        seen.push(event.data);
        if (seen.length === 2) controller.abort();
        if (seen.length > 100) break;
      }
    });
    expect(error).toBeInstanceOf(AbortedError);
    expect(error.code).toBe('ERR_ABORTED');
    expect(seen.slice(0, 2)).toEqual(['1', '2']);
  });

  it('aborting while the loop waits for a stalled body fails it with ERR_ABORTED', async () => {
    const controller = new AbortController();
    const r = await s.get(stalling(), { stream: true, signal: controller.signal });
    const seen: string[] = [];
    const error = await rejection(async () => {
      for await (const line of r.iterLines()) {
        seen.push(line);
        if (line === 'data: two') setTimeout(() => controller.abort(), 50);
        if (seen.length > 100) break;
      }
    });
    expect(error.code).toBe('ERR_ABORTED');
    expect(seen).toEqual(['data: one', '', 'data: two', '']);
  });
});
