/**
 * {@link Response}: what a request resolves to, shaped like requests' `Response`
 * (`text`, `content`, `json()`, `ok`, `raiseForStatus()`, `history`, `elapsed`).
 */
import type { Readable } from 'node:stream';
import { charsetOf, decodeText } from './decode.js';
import { BodyStreamedError, HttpError, JsonDecodeError } from './errors.js';
import { caseInsensitiveHeaders, headerValue, type ResponseHeaders } from './headers.js';
import {
  checkChunkSize,
  claimBody,
  ITER_DEFAULTS,
  type IterLinesOptions,
  iterChunks,
  iterNdjson,
  iterServerSentEvents,
  iterTextLines,
  lineLimitOf,
  type ServerSentEvent,
} from './iter.js';
import { type Links, parseLinks } from './links.js';

/** The fields a {@link Response} is built from (internal to the client). */
export interface ResponseInit {
  statusCode: number;
  reason: string;
  headers: Record<string, string | string[] | undefined>;
  url: string;
  method: string;
  elapsed: number;
  content: Uint8Array | undefined;
  body: Readable | undefined;
  httpVersion: '1.1' | '2';
  fromCache: boolean;
}

const EMPTY = new Uint8Array(0);

/** An HTTP response. The body is read fully unless the request asked for `stream: true`. */
export class Response {
  /** Status code, e.g. `200`. */
  readonly statusCode: number;
  /** Reason phrase the server sent (e.g. `OK`); may be empty. */
  readonly reason: string;
  /** Final URL, after redirects. */
  readonly url: string;
  /** Method of the request that produced this response. */
  readonly method: string;
  /** Milliseconds from sending the request until the response headers arrived. */
  readonly elapsed: number;
  /** `'2'` when the response came over HTTP/2 (see the `http2` option), else `'1.1'`. */
  readonly httpVersion: '1.1' | '2';
  /**
   * `true` when the body came from the session's cache (`cache: true`): fresh, or
   * revalidated with the server (which answered `304 Not Modified`).
   */
  readonly fromCache: boolean;
  /** Redirect responses that led here, oldest first (empty when there were none). */
  history: Response[] = [];
  /**
   * With `stream: true`: the body (decompressed) as a Node stream, async-iterable in
   * `Uint8Array` chunks. `undefined` for buffered responses.
   */
  readonly body: (Readable & AsyncIterable<Uint8Array>) | undefined;
  private readonly rawHeaders: Record<string, string | string[] | undefined>;
  private view: ResponseHeaders | undefined;
  private readonly bytes: Uint8Array | undefined;
  private charset: string | undefined;
  private decoded: string | undefined;
  private parsedLinks: Links | undefined;

  /** @internal Built by the client; not meant to be constructed by users. */
  constructor(init: ResponseInit) {
    this.statusCode = init.statusCode;
    this.reason = init.reason;
    this.rawHeaders = init.headers;
    this.url = init.url;
    this.method = init.method;
    this.elapsed = init.elapsed;
    this.bytes = init.content;
    this.body = init.body as (Readable & AsyncIterable<Uint8Array>) | undefined;
    this.httpVersion = init.httpVersion;
    this.fromCache = init.fromCache;
  }

  /**
   * The `Link` header (RFC 8288) keyed by relation type, URLs resolved against the
   * response URL: `response.links.next?.url` (as requests' `r.links['next']['url']`).
   */
  get links(): Links {
    this.parsedLinks ??= parseLinks(this.rawHeaders.link, this.url);
    return this.parsedLinks;
  }

  /**
   * Response headers: lookup is case-insensitive (`headers['Last-Modified']` works), and
   * a header sent several times (e.g. `set-cookie`) is an array of every value.
   */
  get headers(): ResponseHeaders {
    this.view ??= caseInsensitiveHeaders(this.rawHeaders);
    return this.view;
  }

  /** One header as a string, repeated values joined with `, `; `undefined` if absent. */
  header(name: string): string | undefined {
    return headerValue(this.rawHeaders, name.toLowerCase());
  }

  /** `true` for statuses below 400 (as in requests). */
  get ok(): boolean {
    return this.statusCode < 400;
  }

  /** `true` for a redirect status with a `Location` header. */
  get isRedirect(): boolean {
    return this.statusCode >= 300 && this.statusCode < 400 && 'location' in this.rawHeaders;
  }

  /**
   * Charset used by `text`: from `Content-Type`, else `utf-8` (never requests' ISO-8859-1
   * guess). Assign to decode `text` differently.
   */
  get encoding(): string {
    this.charset ??= charsetOf(headerValue(this.rawHeaders, 'content-type'));
    return this.charset;
  }

  /** Decode `text` with `charset` instead (as requests' `r.encoding = ...`). */
  set encoding(charset: string) {
    this.charset = charset.toLowerCase();
    this.decoded = undefined;
  }

  /** The body bytes (decompressed). Throws {@link BodyStreamedError} with `stream: true`. */
  get content(): Uint8Array {
    if (this.bytes === undefined) {
      if (this.body !== undefined) throw new BodyStreamedError();
      return EMPTY;
    }
    return this.bytes;
  }

  /** The body decoded with {@link Response.encoding}. */
  get text(): string {
    this.decoded ??= decodeText(this.content, this.encoding);
    return this.decoded;
  }

  /** The body parsed as JSON; throws {@link JsonDecodeError} with an excerpt if it is not. */
  json<T = unknown>(): T {
    const text = this.text;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new JsonDecodeError(text, error);
    }
  }

  /** Throws {@link HttpError} (carrying this response) for a 4xx or 5xx status; else returns `this`. */
  raiseForStatus(): this {
    if (this.statusCode >= 400) throw new HttpError(this);
    return this;
  }

  /**
   * The body in chunks of exactly `chunkSize` bytes (the last one may be shorter), as
   * requests' `iter_content`: with `stream: true` as they arrive, else from `content`.
   * Chunks may be views of the received bytes (and of `content`): copy one to change it.
   * Leaving the loop early destroys a streamed body (its connection is not reused); read
   * timeouts and aborts fail the loop with their usual errors. A streamed body can be
   * iterated once (`BodyConsumedError` on a second call).
   *
   * @param chunkSize - Bytes per chunk, a whole number >= 1 (default 8192); else
   *   `InvalidOptionError`.
   */
  iterContent(chunkSize: number = ITER_DEFAULTS.chunkSize): AsyncIterableIterator<Uint8Array> {
    const size = checkChunkSize(chunkSize);
    const source = claimBody(this.body, () => this.content, this.url);
    return iterChunks(source, size);
  }

  /**
   * The body's lines decoded with {@link Response.encoding}, without their endings (`\n`,
   * `\r\n` or a lone `\r`, also when split between chunks); the last line is yielded even
   * without an ending. A line longer than `maxLineLength` bytes (default 1 MiB, ending
   * excluded) fails with `LineTooLongError` (`ERR_MAX_LENGTH`). Streaming, early
   * exit, errors and the one-iteration rule are as for {@link Response.iterContent}.
   */
  iterLines(options?: IterLinesOptions): AsyncIterableIterator<string> {
    const maxLineLength = lineLimitOf(options);
    const source = claimBody(this.body, () => this.content, this.url);
    return iterTextLines(source, this.encoding, maxLineLength, this.url);
  }

  /**
   * The body as NDJSON (JSON Lines): each non-blank line parsed with `JSON.parse`; a line
   * that is not JSON fails with {@link JsonDecodeError}. Lines as in {@link Response.iterLines}.
   */
  iterJson<T = unknown>(options?: IterLinesOptions): AsyncIterableIterator<T> {
    const maxLineLength = lineLimitOf(options);
    const source = claimBody(this.body, () => this.content, this.url);
    return iterNdjson<T>(source, this.encoding, maxLineLength, this.url);
  }

  /**
   * The body as Server-Sent Events (`text/event-stream`), parsed by the WHATWG HTML rules:
   * UTF-8 whatever the charset, a leading BOM dropped, `:` comment lines skipped, `data`
   * lines joined with `\n`, `id` and `retry` carried over to later events, an event without
   * data skipped, an unfinished last event (no blank line before the end) discarded. Lines
   * as in {@link Response.iterLines}. This parses; it does not reconnect.
   */
  iterEvents(options?: IterLinesOptions): AsyncIterableIterator<ServerSentEvent> {
    const maxLineLength = lineLimitOf(options);
    const source = claimBody(this.body, () => this.content, this.url);
    return iterServerSentEvents(source, maxLineLength, this.url);
  }
}
