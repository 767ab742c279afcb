/**
 * Reading a response body piece by piece: fixed-size chunks, lines, NDJSON records and
 * Server-Sent Events. Each function takes the body as bytes (a buffered response) or as
 * an async iterable of chunks (a `stream: true` body) and reads it lazily. Errors of the
 * source (read timeouts, aborts) pass through unchanged, and leaving a loop early (break,
 * throw) returns the source's iterator, which destroys a streamed body.
 */
import type { Readable } from 'node:stream';
import {
  BodyConsumedError,
  InvalidOptionError,
  JsonDecodeError,
  LineTooLongError,
} from './errors.js';

/** A body to iterate: all of its bytes, or its chunks as they arrive. */
export type ByteSource = AsyncIterable<Uint8Array> | Uint8Array;

/** Options of `iterLines()`, `iterJson()` and `iterEvents()`. */
export interface IterLinesOptions {
  /**
   * Longest line accepted, in bytes of UTF-8 (for a UTF-8 body, the bytes as received),
   * line ending excluded; a longer one fails with `ERR_MAX_LENGTH` ({@link LineTooLongError})
   * as soon as it is seen, before it is buffered whole. `0` means no limit.
   */
  maxLineLength?: number;
}

/** The defaults of `iterContent()` and {@link IterLinesOptions}. */
export const ITER_DEFAULTS = {
  /** 8 KiB, as requests' `iter_content` in a loop of `chunk_size=8192`. */
  chunkSize: 8192,
  /** 1 MiB. */
  maxLineLength: 1024 * 1024,
} as const satisfies Required<IterLinesOptions> & { chunkSize: number };

/**
 * One event of a `text/event-stream` body, as the WHATWG HTML standard's event stream
 * interpretation dispatches it.
 */
export interface ServerSentEvent {
  /** The `event` field of the event, or `message` when it had none. */
  event: string;
  /**
   * The values of the event's `data` lines joined with `\n` (a block without any `data` line
   * is not dispatched; one bare `data` line gives `''`).
   */
  data: string;
  /** The last event ID: the latest `id` field of the stream so far (it carries over), else `''`. */
  id: string;
  /**
   * The reconnection time in milliseconds from the latest valid `retry` field of the stream
   * so far (it carries over, like `id`); `undefined` until the server sends one.
   */
  retry: number | undefined;
}

const CR = 0x0d;
const LF = 0x0a;

/** Streamed bodies handed to an iterator already: a second one would see half the bytes. */
const claimed = new WeakSet<object>();

/**
 * The body to iterate: `content` for a buffered response, else `body`, which must not have
 * been read yet (by an earlier iterator or by iterating `body`): {@link BodyConsumedError}.
 */
export function claimBody(
  body: Readable | undefined,
  content: () => Uint8Array,
  url: string,
): ByteSource {
  if (body === undefined) return content();
  if (claimed.has(body) || body.readableDidRead || body.destroyed || body.readableEnded) {
    throw new BodyConsumedError(url);
  }
  claimed.add(body);
  return body as Readable & AsyncIterable<Uint8Array>;
}

/** Checks `iterContent()`'s `chunkSize`: a whole number of bytes, at least 1. */
export function checkChunkSize(chunkSize: unknown): number {
  if (!Number.isSafeInteger(chunkSize) || (chunkSize as number) < 1) {
    throw new InvalidOptionError(
      `chunkSize must be a whole number of bytes >= 1, got ${describe(chunkSize)}`,
    );
  }
  return chunkSize as number;
}

/** The `maxLineLength` of `options` (validated), or its default. */
export function lineLimitOf(options: IterLinesOptions | undefined): number {
  if (options === undefined) return ITER_DEFAULTS.maxLineLength;
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError(`line options must be an object, got ${describe(options)}`);
  }
  const { maxLineLength } = options;
  if (maxLineLength === undefined) return ITER_DEFAULTS.maxLineLength;
  if (!Number.isSafeInteger(maxLineLength) || maxLineLength < 0) {
    throw new InvalidOptionError(
      `maxLineLength must be a whole number of bytes >= 0 (0 = no limit), got ${describe(maxLineLength)}`,
    );
  }
  return maxLineLength;
}

/** The chunks of `source`, empty ones left out. */
async function* chunksOf(source: ByteSource): AsyncGenerator<Uint8Array, void, undefined> {
  if (source instanceof Uint8Array) {
    if (source.byteLength > 0) yield source;
    return;
  }
  for await (const chunk of source) if (chunk.byteLength > 0) yield chunk;
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * `source` in chunks of exactly `chunkSize` bytes, the last one possibly shorter. Chunks
 * are views of the received bytes where they can be (copy one before changing it).
 */
export async function* iterChunks(
  source: ByteSource,
  chunkSize: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  let parts: Uint8Array[] = [];
  let pending = 0;
  for await (const chunk of chunksOf(source)) {
    let offset = 0;
    if (pending > 0) {
      offset = Math.min(chunkSize - pending, chunk.byteLength);
      parts.push(chunk.subarray(0, offset));
      pending += offset;
      if (pending < chunkSize) continue;
      const full = concat(parts, pending);
      parts = [];
      pending = 0;
      yield full;
    }
    while (chunk.byteLength - offset >= chunkSize) {
      yield chunk.subarray(offset, offset + chunkSize);
      offset += chunkSize;
    }
    if (offset < chunk.byteLength) {
      parts.push(chunk.subarray(offset));
      pending = chunk.byteLength - offset;
    }
  }
  if (pending > 0) yield concat(parts, pending);
}

/**
 * The lines of `source` as bytes, without their endings: `\n`, `\r\n` or a lone `\r` (a
 * `\r` ending one chunk and a `\n` starting the next are one ending). The last line is
 * yielded even without an ending; an empty body has no lines.
 */
async function* splitLines(
  source: AsyncIterable<Uint8Array>,
  maxLineLength: number,
  url: string,
): AsyncGenerator<Uint8Array, void, undefined> {
  const limit = maxLineLength === 0 ? Number.POSITIVE_INFINITY : maxLineLength;
  let parts: Uint8Array[] = [];
  let pending = 0;
  // The previous chunk ended with \r: a \n starting this one belongs to that ending.
  let afterCR = false;
  for await (const chunk of source) {
    let start = afterCR && chunk[0] === LF ? 1 : 0;
    afterCR = false;
    // Next \r and \n at or after `start`, searched again only once passed (-1: none left),
    // so a chunk is scanned once however its line endings mix.
    let cr = -2;
    let lf = -2;
    for (;;) {
      if (cr !== -1 && cr < start) cr = chunk.indexOf(CR, start);
      if (lf !== -1 && lf < start) lf = chunk.indexOf(LF, start);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) break;
      const length = pending + end - start;
      if (length > limit) throw new LineTooLongError(url, length, maxLineLength);
      const tail = chunk.subarray(start, end);
      const line = pending === 0 ? tail : concat([...parts, tail], length);
      parts = [];
      pending = 0;
      if (chunk[end] === LF) start = end + 1;
      else if (end + 1 === chunk.byteLength) {
        afterCR = true;
        start = end + 1;
      } else start = chunk[end + 1] === LF ? end + 2 : end + 1;
      yield line;
    }
    if (start < chunk.byteLength) {
      pending += chunk.byteLength - start;
      // Fail before buffering more than the limit: the line may never end.
      if (pending > limit) throw new LineTooLongError(url, pending, maxLineLength);
      parts.push(chunk.subarray(start));
    }
  }
  if (pending > 0) yield concat(parts, pending);
}

/** `source` re-encoded as UTF-8 from `encoding` (a WHATWG encoding name other than UTF-8). */
async function* toUtf8(
  source: ByteSource,
  encoding: string,
): AsyncGenerator<Uint8Array, void, undefined> {
  const decoder = new TextDecoder(encoding);
  for await (const chunk of chunksOf(source)) {
    // Streaming mode keeps a character split between chunks for the next call.
    const text = decoder.decode(chunk, { stream: true });
    if (text !== '') yield Buffer.from(text, 'utf8');
  }
  const rest = decoder.decode();
  if (rest !== '') yield Buffer.from(rest, 'utf8');
}

/** The WHATWG name of `charset` (`utf-8` for `utf8`), or `utf-8` when it is unknown (as `text`). */
function encodingOf(charset: string): string {
  try {
    return new TextDecoder(charset).encoding;
  } catch {
    return 'utf-8';
  }
}

// ignoreBOM: a U+FEFF starting a later line is content; only the body's first one is a BOM.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The lines of `source` decoded from `charset` (see {@link splitLines} for the endings).
 * A leading byte order mark is dropped, as `text` does.
 */
export async function* iterTextLines(
  source: ByteSource,
  charset: string,
  maxLineLength: number,
  url: string,
): AsyncGenerator<string, void, undefined> {
  const encoding = encodingOf(charset);
  // Lines are split on bytes, which UTF-8 never uses inside a character; other charsets
  // (UTF-16 would) are re-encoded to UTF-8 first.
  const bytes = encoding === 'utf-8' ? chunksOf(source) : toUtf8(source, encoding);
  let first = true;
  for await (const raw of splitLines(bytes, maxLineLength, url)) {
    let line = utf8.decode(raw);
    if (first) {
      first = false;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    }
    yield line;
  }
}

/** Each non-blank line of `source` parsed as JSON (NDJSON); a bad one fails with {@link JsonDecodeError}. */
export async function* iterNdjson<T>(
  source: ByteSource,
  charset: string,
  maxLineLength: number,
  url: string,
): AsyncGenerator<T, void, undefined> {
  for await (const line of iterTextLines(source, charset, maxLineLength, url)) {
    if (line.trim() === '') continue;
    let value: T;
    try {
      value = JSON.parse(line) as T;
    } catch (error) {
      throw new JsonDecodeError(line, error);
    }
    yield value;
  }
}

const DIGITS = /^[0-9]+$/;

/**
 * The events of a `text/event-stream` body, following the WHATWG HTML standard's "event
 * stream interpretation": always UTF-8, `:` lines are comments, a field's value loses one
 * leading space, unknown fields are ignored, and a blank line dispatches the event. An
 * event that the stream ends before its blank line is discarded, as the standard says.
 */
export async function* iterServerSentEvents(
  source: ByteSource,
  maxLineLength: number,
  url: string,
): AsyncGenerator<ServerSentEvent, void, undefined> {
  let event = '';
  let data = '';
  let id = '';
  let retry: number | undefined;
  for await (const line of iterTextLines(source, 'utf-8', maxLineLength, url)) {
    if (line === '') {
      if (data !== '') {
        yield {
          event: event === '' ? 'message' : event,
          data: data.endsWith('\n') ? data.slice(0, -1) : data,
          id,
          retry,
        };
      }
      event = '';
      data = '';
      continue;
    }
    const colon = line.indexOf(':');
    if (colon === 0) continue;
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        event = value;
        break;
      case 'data':
        data += `${value}\n`;
        break;
      case 'id':
        if (!value.includes('\0')) id = value;
        break;
      case 'retry':
        if (DIGITS.test(value)) retry = Number.parseInt(value, 10);
        break;
      default:
        break;
    }
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value !== null && typeof value === 'object')
    return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
