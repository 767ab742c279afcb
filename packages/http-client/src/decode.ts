/**
 * Decoding a response body: `Content-Encoding` (gzip, deflate, br, and zstd on Nodes
 * whose zlib has it), the size limit, and the charset used for `text`.
 */
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { DecompressionError, ResponseTooLargeError, TooManyContentCodingsError } from './errors.js';

type ZstdZlib = { createZstdDecompress?: () => Transform };
const createZstd = (zlib as unknown as ZstdZlib).createZstdDecompress;

/** The `Accept-Encoding` this Node can decode. */
export const ACCEPT_ENCODING = createZstd ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br';

/**
 * The most content codings a response may stack in `Content-Encoding` (`identity` not
 * counted), as in undici's fetch; a response with more fails with
 * {@link TooManyContentCodingsError} before any decoder is created.
 */
export const MAX_CONTENT_CODINGS = 5;

const KNOWN_CODINGS = new Set(ACCEPT_ENCODING.split(', ').concat('x-gzip'));

/**
 * The codings of a `Content-Encoding` header in the order to undo them, or `undefined`
 * when there is nothing to undo or one of them is unknown (then the body stays raw, as
 * in requests). More than {@link MAX_CONTENT_CODINGS} are returned as they are, for
 * {@link createDecoders} to refuse.
 */
export function codingsOf(contentEncoding: string | undefined): string[] | undefined {
  if (contentEncoding === undefined || contentEncoding === '') return undefined;
  const codings = contentEncoding
    .toLowerCase()
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) return undefined;
  for (const coding of codings) if (!KNOWN_CODINGS.has(coding)) return undefined;
  return codings.reverse();
}

function createDecoder(coding: string): Transform {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      // Like curl and browsers, accept a truncated trailer instead of failing the body.
      return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    case 'deflate':
      return new AutoInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      // codingsOf lets zstd through only when this Node has it.
      return (createZstd as () => Transform)();
  }
}

/**
 * "deflate" is zlib-wrapped by the RFC but raw deflate from some servers; accept both,
 * told apart by the first two bytes. The inner inflater is paused while this stream's
 * buffer is full, so a small body that inflates to gigabytes is inflated only as fast as
 * it is read (zlib's own streams work that way; a plain 'data' relay would not).
 */
class AutoInflate extends Transform {
  private inner: zlib.Inflate | zlib.InflateRaw | undefined;
  /** The first byte, while only one has arrived: the zlib header check needs two. */
  private head: Buffer | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let data = chunk;
    if (this.inner === undefined) {
      data = this.head === undefined ? chunk : Buffer.concat([this.head, chunk]);
      if (data.byteLength < 2) {
        this.head = data;
        done();
        return;
      }
      this.head = undefined;
      this.start(isZlibHeader(data));
    }
    // Called once the inner inflater has taken all of `data`, which waits for our reads.
    (this.inner as zlib.Inflate).write(data, () => done());
  }

  override _read(size: number): void {
    if (this.inner?.isPaused()) this.inner.resume();
    super._read(size);
  }

  override _flush(done: TransformCallback): void {
    // A one-byte body is no complete deflate stream: let the inflater say so.
    if (this.inner === undefined && this.head !== undefined) this.start(false).write(this.head);
    const inner = this.inner;
    if (inner === undefined) {
      done();
      return;
    }
    inner.once('end', () => done());
    inner.end();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.inner?.destroy();
    done(error);
  }

  private start(zlibWrapped: boolean): zlib.Inflate | zlib.InflateRaw {
    const inner = zlibWrapped ? zlib.createInflate() : zlib.createInflateRaw();
    inner.on('data', (data: Buffer) => {
      if (!this.push(data)) inner.pause();
    });
    inner.on('error', (error) => this.destroy(error));
    this.inner = inner;
    return inner;
  }
}

/** A zlib header: compression method 8 and a check value making the pair a multiple of 31. */
function isZlibHeader(data: Buffer): boolean {
  const cmf = data[0] as number;
  return (cmf & 0x0f) === 8 && (cmf * 256 + (data[1] as number)) % 31 === 0;
}

const kFailure = Symbol('decompression failure');

/** The decoders for `codings` (from {@link codingsOf}), in pipeline order. */
export function createDecoders(codings: string[], url: string): Transform[] {
  if (codings.length > MAX_CONTENT_CODINGS) {
    // One stage that fails at once, so that the pipeline releases the body as for any
    // decoding error, without creating a single decoder.
    const error = new TooManyContentCodingsError(url, codings.length, MAX_CONTENT_CODINGS);
    return [new Transform({ construct: (callback) => callback(error) })];
  }
  return codings.map((coding) => {
    const decoder = createDecoder(coding);
    // Tag the decoder's own error so that the caller can tell it from timeouts and resets.
    decoder.once('error', (error) => {
      (error as unknown as Record<symbol, unknown>)[kFailure] = new DecompressionError(
        url,
        coding,
        error,
      );
    });
    return decoder;
  });
}

/** The {@link DecompressionError} for an error a decoder raised, else `undefined`. */
export function decompressionFailure(error: unknown): DecompressionError | undefined {
  return (error as Record<symbol, DecompressionError> | null)?.[kFailure];
}

/** Pipes `body` through the decoders for `codings`. */
export function decodeBody(body: Readable, codings: string[], url: string): Readable {
  const streams = [body, ...createDecoders(codings, url)];
  return (pipeline as (...args: unknown[]) => Readable)(...streams, () => undefined);
}

/**
 * Reads a whole stream into one buffer, failing past `maxSize` bytes (0 = no limit). Plain
 * listeners, not `for await`: an async iterator per response costs more than the read of
 * a small body itself.
 */
export function collect(stream: Readable, maxSize: number, url: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (maxSize > 0 && size > maxSize) {
        reject(new ResponseTooLargeError(url, maxSize));
        stream.destroy();
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => {
      ended = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    stream.once('error', reject);
    stream.once('close', () => {
      if (!ended)
        reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  });
}

const CHARSET = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i;

/** The charset named in a `Content-Type` header, lower-cased; `utf-8` when none. */
export function charsetOf(contentType: string | undefined): string {
  const match = contentType === undefined ? null : CHARSET.exec(contentType);
  const charset = (match?.[1] ?? match?.[2] ?? '').trim().toLowerCase();
  return charset === '' ? 'utf-8' : charset;
}

const utf8 = new TextDecoder();

/** Decodes bytes as `charset`; an unknown charset label falls back to UTF-8. */
export function decodeText(content: Uint8Array, charset: string): string {
  if (charset === 'utf-8' || charset === 'utf8') return utf8.decode(content);
  try {
    return new TextDecoder(charset).decode(content);
  } catch {
    return utf8.decode(content);
  }
}
