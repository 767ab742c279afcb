/**
 * {@link Response}: what a request resolves to, shaped like requests' `Response`
 * (`text`, `content`, `json()`, `ok`, `raiseForStatus()`, `history`, `elapsed`).
 */
import type { Readable } from 'node:stream';
import { charsetOf, decodeText } from './decode.js';
import { BodyStreamedError, HttpError, JsonDecodeError } from './errors.js';
import { caseInsensitiveHeaders, headerValue, type ResponseHeaders } from './headers.js';

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
}
