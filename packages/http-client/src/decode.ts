/**
 * Decoding a response body: `Content-Encoding` (gzip, deflate, br, and zstd on Nodes
 * whose zlib has it), the size limit, and the charset used for `text`.
 */
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { DecompressionError, ResponseTooLargeError } from './errors.js';

type ZstdZlib = { createZstdDecompress?: () => Transform };
const createZstd = (zlib as unknown as ZstdZlib).createZstdDecompress;

/** The `Accept-Encoding` this Node can decode. */
export const ACCEPT_ENCODING = createZstd ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br';

/**
 * The codings of a `Content-Encoding` header in the order to undo them, or `undefined`
 * when there is nothing to undo or one of them is unknown (then the body stays raw, as
 * in requests).
 */
export function codingsOf(contentEncoding: string | undefined): string[] | undefined {
  if (contentEncoding === undefined || contentEncoding === '') return undefined;
  const codings = contentEncoding
    .toLowerCase()
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) return undefined;
  for (const coding of codings) if (createDecoder(coding) === undefined) return undefined;
  return codings.reverse();
}

function createDecoder(coding: string): Transform | undefined {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      // Like curl and browsers, accept a truncated trailer instead of failing the body.
      return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    case 'deflate':
      return new AutoInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    case 'zstd':
      return createZstd?.();
    default:
      return undefined;
  }
}

/** "deflate" is zlib-wrapped by the RFC but raw deflate from some servers; accept both. */
class AutoInflate extends Transform {
  private inner: Transform | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.inner === undefined) {
      // A zlib header: compression method 8 and a check value making the pair a multiple of 31.
      const cmf = chunk[0] ?? 0;
      const zlibWrapped = (cmf & 0x0f) === 8 && (cmf * 256 + (chunk[1] ?? 0)) % 31 === 0;
      this.inner = zlibWrapped ? zlib.createInflate() : zlib.createInflateRaw();
      this.inner.on('data', (data: Buffer) => this.push(data));
      this.inner.on('error', (error) => this.destroy(error));
    }
    this.inner.write(chunk, () => done());
  }

  override _flush(done: TransformCallback): void {
    if (this.inner === undefined) {
      done();
      return;
    }
    this.inner.once('end', () => done());
    this.inner.end();
  }
}

const kFailure = Symbol('decompression failure');

/** The decoders for `codings` (from {@link codingsOf}), in pipeline order. */
export function createDecoders(codings: string[], url: string): Transform[] {
  return codings.map((coding) => {
    const decoder = createDecoder(coding) as Transform;
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

/** Reads a whole stream into one buffer, failing past `maxSize` bytes (0 = no limit). */
export async function collect(stream: Readable, maxSize: number, url: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (maxSize > 0 && size > maxSize) {
      stream.destroy();
      throw new ResponseTooLargeError(url, maxSize);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
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
