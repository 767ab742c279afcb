/**
 * Reading a response body: fully into bytes (the default), or as a decompressed stream
 * with progress callbacks (`stream: true`).
 */
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import type { Dispatcher } from 'undici';
import { codingsOf, collect, createDecoders, decodeBody } from './decode.js';
import { ResponseTooLargeError } from './errors.js';
import { headerValue } from './headers.js';
import type { Progress } from './options.js';

type RawHeaders = Record<string, string | string[] | undefined>;

/** Is there a body to decode at all (HEAD, 204 and 304 have none, whatever the headers say)? */
function hasBody(method: string, statusCode: number, headers: RawHeaders): boolean {
  return (
    method !== 'HEAD' &&
    statusCode !== 204 &&
    statusCode !== 304 &&
    headerValue(headers, 'content-length') !== '0'
  );
}

/** Reads the whole body, decompressed, enforcing `maxSize` (0 = no limit). */
export async function readFull(
  body: Dispatcher.ResponseData['body'],
  method: string,
  statusCode: number,
  headers: RawHeaders,
  maxSize: number,
  url: string,
): Promise<Uint8Array> {
  const codings = hasBody(method, statusCode, headers)
    ? codingsOf(headerValue(headers, 'content-encoding'))
    : undefined;
  if (codings !== undefined) return collect(decodeBody(body, codings, url), maxSize, url);
  if (maxSize === 0) return body.bytes();
  const length = Number(headerValue(headers, 'content-length'));
  if (length > maxSize) {
    body.destroy();
    throw new ResponseTooLargeError(url, maxSize);
  }
  return collect(body, maxSize, url);
}

/**
 * The body as a stream for `stream: true`: decompressed, counted for `onProgress`, errors
 * passed through `mapError`; `onDone` runs once when it ends, fails or is destroyed.
 */
export function openStream(
  body: Readable,
  method: string,
  statusCode: number,
  headers: RawHeaders,
  url: string,
  onProgress: ((progress: Progress) => void) | undefined,
  mapError: (error: unknown) => Error,
  onDone: () => void,
): Readable {
  const codings = hasBody(method, statusCode, headers)
    ? codingsOf(headerValue(headers, 'content-encoding'))
    : undefined;
  const lengthHeader = headerValue(headers, 'content-length');
  const total =
    codings === undefined && lengthHeader !== undefined ? Number(lengthHeader) : undefined;
  const out = new ProgressCounter(onProgress, total);
  // pipeline destroys the tail with the first error of any stage: give it the typed one.
  const destroy = out.destroy.bind(out);
  out.destroy = (error?: Error) => destroy(error === undefined ? error : mapError(error));
  const stages = codings === undefined ? [] : createDecoders(codings, url);
  (pipeline as (...args: unknown[]) => Readable)(body, ...stages, out, () => onDone());
  // Without a consumer an error must not become an unhandled 'error' event.
  out.on('error', () => undefined);
  return out;
}

class ProgressCounter extends Transform {
  private loaded = 0;

  constructor(
    private readonly onProgress: ((progress: Progress) => void) | undefined,
    private readonly total: number | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.loaded += chunk.byteLength;
    try {
      this.onProgress?.({ loaded: this.loaded, total: this.total });
    } catch (error) {
      done(error as Error);
      return;
    }
    done(null, chunk);
  }
}
