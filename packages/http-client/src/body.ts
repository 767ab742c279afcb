/**
 * Request bodies: `json`, `form`, `data`, `multipart` and `files` turned into what undici
 * sends for each attempt, with the content type and length to announce, whether the body can
 * be sent again (redirects, retries), and upload progress (`onUploadProgress`).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { isAnyArrayBuffer } from 'node:util/types';
import { checkOptionalFunction } from '@net/core';
import { FormData as UndiciFormData } from 'undici';
import { describe, HookError, InvalidOptionError, UploadSourceError } from './errors.js';
import type { Files, Progress, RequestOptions, UploadFile } from './options.js';
import { encodeParams } from './url.js';

/** A request body ready for undici, opened afresh for each attempt. */
export interface EncodedBody {
  /** What undici sends for one attempt; called again for each retry or 307/308 redirect (only when `replayable`). */
  open(): string | Uint8Array | Readable | UndiciFormData | undefined;
  /** Content type implied by the option used (`undefined`: leave it to the caller/undici). Multipart: includes the boundary. */
  contentType: string | undefined;
  /** Length in bytes when known; the session sends it as `Content-Length` (unless the caller set one). */
  contentLength: number | undefined;
  /** `false` for one-shot streams. */
  replayable: boolean;
}

/** The body of a request that names no body option. */
export const NO_BODY: EncodedBody = Object.freeze({
  open: () => undefined,
  contentType: undefined,
  contentLength: undefined,
  replayable: true,
});

/** Size of the chunks an in-memory body is cut into when its upload progress is reported. */
const PROGRESS_CHUNK = 64 * 1024;
const CRLF = Buffer.from('\r\n');

/** What a form (`form`, or `data` as an object) may hold. */
type FormFields = NonNullable<RequestOptions['form']> | URLSearchParams;

/** True when the options name any body (`json`, `form`, `data`, `multipart`, `files`). */
export function hasBodyOption(options: RequestOptions): boolean {
  return (
    options.json !== undefined ||
    options.form !== undefined ||
    options.data !== undefined ||
    options.multipart !== undefined ||
    options.files !== undefined
  );
}

/**
 * Encodes the body options of one request. At most one of them may be set, except that
 * `files` takes text fields from `data` (an object) or `form`, as requests does.
 * Throws `ERR_INVALID_ARGUMENT` for a bad combination or value, or a file that cannot be stat'ed.
 */
export async function encodeBody(options: RequestOptions): Promise<EncodedBody> {
  const { onUploadProgress } = options;
  checkOptionalFunction('onUploadProgress', onUploadProgress);
  const body = await encodeRaw(options, onUploadProgress !== undefined);
  if (onUploadProgress === undefined || body === NO_BODY) return body;
  return {
    ...body,
    // Each attempt gets its own counter, so a retry or a redirect starts again from 0.
    open: () => {
      const source = body.open() as string | Uint8Array | Readable | undefined;
      const chunks = progressChunks(source ?? '', body.contentLength, onUploadProgress);
      return Readable.from(chunks, { objectMode: false });
    },
  };
}

async function encodeRaw(options: RequestOptions, withProgress: boolean): Promise<EncodedBody> {
  const { json, form, data, multipart, files } = options;
  const given = ['json', 'form', 'data', 'multipart', 'files'].filter(
    (name) => options[name as keyof RequestOptions] !== undefined,
  );
  if (given.length === 0) return NO_BODY;
  if (files !== undefined) {
    const fields = given.length === 1 ? undefined : form !== undefined ? form : data;
    const textFieldsOk =
      given.length === 1 ||
      (given.length === 2 && (form !== undefined || (data !== undefined && isFormObject(data))));
    if (!textFieldsOk) {
      throw new InvalidOptionError(
        `files can be combined only with text fields from data (a plain object) or form, not ${given
          .filter((name) => name !== 'files')
          .join(' and ')}`,
      );
    }
    if (fields !== undefined) checkForm(form !== undefined ? 'form' : 'data', fields);
    return multipartBody(
      textParts(fields as FormFields | undefined, false).concat(await fileParts(files)),
    );
  }
  if (given.length > 1) {
    throw new InvalidOptionError(
      `Pass only one of json, form, data, multipart and files per request, not ${given.join(' and ')}`,
    );
  }
  if (json !== undefined) return jsonBody(json);
  if (form !== undefined) {
    checkForm('form', form);
    return formBody(form);
  }
  if (multipart !== undefined) return formDataBody(multipart, withProgress);
  return dataBody(data);
}

function jsonBody(value: unknown): EncodedBody {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw invalid(
      `json could not be serialised: ${(error as Error).message}; pass a value without BigInts ` +
        'or cycles (convert them first, e.g. String(bigint)), or serialise it yourself into data',
      error,
    );
  }
  if (text === undefined) {
    throw new InvalidOptionError(
      `json could not be serialised: a ${typeof value} has no JSON form; pass an object, array, string, number, boolean or null`,
    );
  }
  return bytesBody(text, 'application/json');
}

function formBody(form: FormFields): EncodedBody {
  return bytesBody(encodeParams(form), 'application/x-www-form-urlencoded');
}

/** A string or bytes held in memory: sent as it is, announced with its byte length. */
function bytesBody(value: string | Uint8Array, contentType: string | undefined): EncodedBody {
  const contentLength = typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;
  return { open: () => value, contentType, contentLength, replayable: true };
}

async function dataBody(data: RequestOptions['data']): Promise<EncodedBody> {
  if (typeof data === 'string' || data instanceof Uint8Array) return bytesBody(data, undefined);
  if (isAnyArrayBuffer(data)) return bytesBody(new Uint8Array(data), undefined);
  if (ArrayBuffer.isView(data)) {
    return bytesBody(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), undefined);
  }
  if (data instanceof Blob) {
    const blob = data;
    return {
      open: () => Readable.from(blobChunks(blob), { objectMode: false }),
      contentType: blob.type === '' ? undefined : blob.type,
      contentLength: blob.size,
      replayable: true,
    };
  }
  if (data instanceof ReadStream) {
    const file = await fileStreamBody(data);
    if (file !== undefined) return file;
  }
  if (data instanceof Readable) {
    return {
      open: () => data,
      contentType: undefined,
      contentLength: undefined,
      replayable: false,
    };
  }
  if (data !== null && typeof data === 'object' && Symbol.asyncIterator in data) {
    const stream = Readable.from(data as AsyncIterable<Uint8Array>, { objectMode: false });
    return {
      open: () => stream,
      contentType: undefined,
      contentLength: undefined,
      replayable: false,
    };
  }
  if (isFormObject(data)) {
    checkForm('data', data);
    return formBody(data);
  }
  throw new InvalidOptionError(
    `data must be a string, Uint8Array, ArrayBuffer, ArrayBufferView, Blob, Readable, async ` +
      `iterable or plain object, not ${describeValue(data)}`,
  );
}

/**
 * A file stream (`fs.createReadStream(path, { start, end })`) not yet read from: its length
 * comes from `fs.stat`, and later attempts read the same range of the file again. `undefined`
 * when it is not such a stream (opened from a descriptor, already read, a pipe, decoded text).
 */
async function fileStreamBody(stream: ReadStream): Promise<EncodedBody | undefined> {
  const path = stream.path;
  if (
    (typeof path !== 'string' && !Buffer.isBuffer(path)) ||
    stream.readableDidRead ||
    stream.destroyed ||
    stream.readableEncoding !== null ||
    stream.readableObjectMode
  ) {
    return undefined;
  }
  // The stream opens its file by itself; without a listener, a failure to open (a missing
  // file, say) would be an uncaught 'error' before undici listens. undici still sees it.
  stream.on('error', () => undefined);
  const name = path.toString();
  let size: number;
  try {
    const stats = await stat(path);
    if (!stats.isFile()) return undefined; // a pipe or a device: no length known in advance
    size = stats.size;
  } catch (error) {
    stream.destroy();
    throw invalid(
      `data is a file stream of ${JSON.stringify(name)}, which cannot be read (${describe(error)}); check the path`,
      error,
    );
  }
  const { start = 0, end = Number.POSITIVE_INFINITY } = stream as ReadStream & {
    start?: number;
    end?: number;
  };
  const length = Math.max(0, Math.min(end, size - 1) - start + 1);
  let first = true;
  return {
    open: () => {
      // The caller's stream for the first attempt; the same bytes, read again, after that.
      if (first && !stream.readableDidRead && !stream.destroyed) {
        first = false;
        return stream;
      }
      first = false;
      return Readable.from(fileChunks(path, start, length), { objectMode: false });
    },
    contentType: undefined,
    contentLength: length,
    replayable: true,
  };
}

// ---------------------------------------------------------------------------------------
// multipart/form-data

/** One piece of a multipart body: bytes in memory, a Blob, or a range of a file on disk. */
type Segment = Uint8Array | Blob | FileRange;

interface FileRange {
  path: string;
  size: number;
}

/** A part: its header lines (ending in the blank line) and its content. */
interface Part {
  head: string;
  content: Segment;
}

/** Quotes in a `Content-Disposition` parameter as browsers, undici and urllib3 do. */
function escapeQuoted(value: string): string {
  return value.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
}

/** What undici (and the HTML standard) does to line breaks in names and text values. */
function normalizeLinefeeds(value: string): string {
  return value.replace(/\r?\n|\r/g, '\r\n');
}

function textPart(name: string, value: string): Part {
  return {
    head: `Content-Disposition: form-data; name="${escapeQuoted(normalizeLinefeeds(name))}"\r\n\r\n`,
    content: Buffer.from(value),
  };
}

function filePart(
  name: string,
  filename: string | undefined,
  contentType: string,
  content: Segment,
): Part {
  const file = filename === undefined ? '' : `; filename="${escapeQuoted(filename)}"`;
  return {
    head:
      `Content-Disposition: form-data; name="${escapeQuoted(normalizeLinefeeds(name))}"${file}\r\n` +
      `Content-Type: ${contentType}\r\n\r\n`,
    content,
  };
}

/**
 * Text parts from `data`/`form` (arrays repeat the field; `null` and `undefined` are left
 * out, as in a query). Values are sent as they are, as requests does (`normalize`: as undici).
 */
function textParts(fields: FormFields | undefined, normalize: boolean): Part[] {
  if (fields === undefined) return [];
  const entries = new URLSearchParams(encodeParams(fields));
  return [...entries].map(([name, value]) =>
    textPart(name, normalize ? normalizeLinefeeds(value) : value),
  );
}

async function fileParts(files: Files): Promise<Part[]> {
  if (!isPlainObject(files)) {
    throw new InvalidOptionError(
      `files must be a plain object of field name to file, not ${describeValue(files)}`,
    );
  }
  const parts: Part[] = [];
  for (const [field, value] of Object.entries(files)) {
    parts.push(await filePartOf(field, value));
  }
  return parts;
}

const UPLOAD_FILE_KEYS = new Set(['filename', 'data', 'path', 'contentType']);

async function filePartOf(field: string, value: Files[string]): Promise<Part> {
  const where = `files[${JSON.stringify(field)}]`;
  const content = contentSegment(value);
  if (content !== undefined) {
    const named = value instanceof File && value.name !== '' ? value.name : field;
    const type =
      value instanceof Blob && value.type !== '' ? value.type : 'application/octet-stream';
    return filePart(field, named, type, content);
  }
  if (!isPlainObject(value)) {
    throw new InvalidOptionError(
      `${where} must be { filename?, data | path, contentType? } or the content itself ` +
        `(Uint8Array, ArrayBuffer, Blob), not ${describeValue(value)}` +
        (typeof value === 'string' ? '; for text content pass { data: string }' : ''),
    );
  }
  const file = value as UploadFile;
  const unknown = Object.keys(file).filter((key) => !UPLOAD_FILE_KEYS.has(key));
  if (unknown.length > 0) {
    throw new InvalidOptionError(
      `${where} has unknown field(s) ${unknown.join(', ')}; an upload file has filename, data, path and contentType`,
    );
  }
  const { filename, data, path, contentType } = file;
  if (filename !== undefined && typeof filename !== 'string') {
    throw new InvalidOptionError(`${where}.filename must be a string`);
  }
  if (
    contentType !== undefined &&
    (typeof contentType !== 'string' || /[\r\n\0]/.test(contentType))
  ) {
    throw new InvalidOptionError(`${where}.contentType must be a string without line breaks`);
  }
  if ((data === undefined) === (path === undefined)) {
    throw new InvalidOptionError(
      `${where} needs exactly one of data (the content) and path (a file to stream), not ${
        data === undefined ? 'neither' : 'both'
      }`,
    );
  }
  if (path !== undefined) {
    if (typeof path !== 'string' || path === '') {
      throw new InvalidOptionError(`${where}.path must be a non-empty string`);
    }
    const size = await fileSize(path, `${where}.path`);
    return filePart(field, filename ?? basename(path), contentType ?? 'application/octet-stream', {
      path,
      size,
    });
  }
  const segment = typeof data === 'string' ? Buffer.from(data) : contentSegment(data);
  if (segment === undefined) {
    throw new InvalidOptionError(
      `${where}.data must be a string, Uint8Array, ArrayBuffer or Blob, not ${describeValue(data)}`,
    );
  }
  const blobType = data instanceof Blob && data.type !== '' ? data.type : undefined;
  return filePart(
    field,
    filename ?? (data instanceof File && data.name !== '' ? data.name : field),
    contentType ?? blobType ?? 'application/octet-stream',
    segment,
  );
}

/** Bytes or a Blob given as the content of a file, else `undefined`. */
function contentSegment(value: unknown): Segment | undefined {
  if (value instanceof Uint8Array || value instanceof Blob) return value;
  if (isAnyArrayBuffer(value)) return new Uint8Array(value);
  if (ArrayBuffer.isView(value))
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

async function fileSize(path: string, what: string): Promise<number> {
  let stats: Awaited<ReturnType<typeof stat>>;
  try {
    stats = await stat(path);
  } catch (error) {
    throw invalid(
      `${what} ${JSON.stringify(path)} cannot be read (${describe(error)}); check the path`,
      error,
    );
  }
  if (!stats.isFile()) {
    throw new InvalidOptionError(
      `${what} ${JSON.stringify(path)} is not a regular file; upload a file, or pass a stream as data`,
    );
  }
  return stats.size;
}

/** The `multipart` option, a FormData: undici encodes it, unless progress must be counted. */
function formDataBody(multipart: FormData, withProgress: boolean): EncodedBody {
  const form: unknown = multipart;
  if (!(form instanceof FormData) && !(form instanceof UndiciFormData)) {
    throw new InvalidOptionError(
      `multipart must be a FormData instance, not ${describeValue(form)}`,
    );
  }
  if (withProgress) {
    // Encoded here, as undici would, so the bytes can be counted against an exact total.
    const parts: Part[] = [];
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') parts.push(textPart(name, normalizeLinefeeds(value)));
      else {
        const file = value as File;
        parts.push(
          filePart(
            name,
            file.name === '' ? undefined : file.name,
            file.type || 'application/octet-stream',
            file,
          ),
        );
      }
    }
    return multipartBody(parts);
  }
  // undici writes the multipart/form-data content type with its boundary, but only
  // recognises its own FormData class (Node's global one comes from its bundled copy).
  const body = toUndiciFormData(form);
  return { open: () => body, contentType: undefined, contentLength: undefined, replayable: true };
}

function toUndiciFormData(form: FormData | UndiciFormData): UndiciFormData {
  if (form instanceof UndiciFormData) return form;
  const copy = new UndiciFormData();
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') copy.append(name, value);
    else copy.append(name, value as Blob, (value as File).name);
  }
  return copy;
}

/**
 * The parts framed by a random boundary: a stream generated afresh for each attempt (files
 * are read from disk as it is sent, never held in memory), of a length known in advance.
 */
function multipartBody(parts: Part[]): EncodedBody {
  const boundary = `----net-http-client-${randomBytes(16).toString('hex')}`;
  const segments: Segment[] = [];
  let framing = ''; // boundary lines and part headers not yet in `segments`
  for (const part of parts) {
    framing += `--${boundary}\r\n${part.head}`;
    if (part.content instanceof Uint8Array && part.content.byteLength < PROGRESS_CHUNK) {
      // Small in-memory content joins its framing: fewer, larger chunks.
      segments.push(Buffer.concat([Buffer.from(framing), part.content, CRLF]));
      framing = '';
    } else {
      segments.push(Buffer.from(framing), part.content);
      framing = '\r\n';
    }
  }
  segments.push(Buffer.from(`${framing}--${boundary}--\r\n`));
  const contentLength = segments.reduce((sum, segment) => sum + segmentSize(segment), 0);
  return {
    open: () => Readable.from(segmentChunks(segments), { objectMode: false }),
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength,
    replayable: true,
  };
}

function segmentSize(segment: Segment): number {
  return segment instanceof Uint8Array ? segment.byteLength : segment.size;
}

async function* segmentChunks(segments: readonly Segment[]): AsyncGenerator<Uint8Array> {
  for (const segment of segments) {
    if (segment instanceof Uint8Array) yield segment;
    else if (segment instanceof Blob) yield* blobChunks(segment);
    else yield* fileChunks(segment.path, 0, segment.size);
  }
}

// ---------------------------------------------------------------------------------------
// Sources read while sending

/**
 * `length` bytes of a file from `start`, streamed; a file that cannot be read, or that ends
 * before `length` bytes (it shrank since it was stat'ed), fails with `ERR_UPLOAD_SOURCE`.
 */
async function* fileChunks(
  path: string | Buffer,
  start: number,
  length: number,
): AsyncGenerator<Uint8Array> {
  if (length === 0) return;
  const name = path.toString();
  let read = 0;
  try {
    for await (const chunk of createReadStream(path, { start, end: start + length - 1 })) {
      read += (chunk as Buffer).byteLength;
      yield chunk as Buffer;
    }
  } catch (error) {
    throw new UploadSourceError(name, `it could not be read (${describe(error)})`, error);
  }
  if (read < length) {
    throw new UploadSourceError(
      name,
      `it ended after ${read} of the ${length} bytes announced as its length: it shrank during the upload`,
    );
  }
}

async function* blobChunks(blob: Blob): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of blob.stream()) yield chunk;
  } catch (error) {
    // A file-backed Blob (fs.openAsBlob) whose file changed or went away.
    throw new UploadSourceError(undefined, `it could not be read (${describe(error)})`, error);
  }
}

/**
 * The body in chunks of at most {@link PROGRESS_CHUNK} bytes, calling `onProgress` once each
 * chunk has been taken by the consumer (undici asks for the next one), and once with 0 for an
 * empty body. What the callback throws destroys the stream (as `ERR_HOOK`), failing the request.
 */
async function* progressChunks(
  source: string | Uint8Array | Readable,
  total: number | undefined,
  onProgress: (progress: Progress) => void,
): AsyncGenerator<Uint8Array> {
  let loaded = 0;
  const input: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array> =
    typeof source === 'string' || source instanceof Uint8Array ? [source] : source;
  for await (const piece of input) {
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    for (let offset = 0; offset < bytes.byteLength; offset += PROGRESS_CHUNK) {
      const chunk = bytes.subarray(offset, offset + PROGRESS_CHUNK);
      yield chunk;
      loaded += chunk.byteLength;
      report(onProgress, { loaded, total });
    }
  }
  if (loaded === 0) report(onProgress, { loaded, total });
}

/** Calls the progress callback; what it throws becomes `ERR_HOOK`, as a throwing hook does. */
function report(onProgress: (progress: Progress) => void, progress: Progress): void {
  try {
    onProgress(progress);
  } catch (error) {
    throw new HookError('onUploadProgress', error);
  }
}

// ---------------------------------------------------------------------------------------
// Checks

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A form given as `data`: a plain object or URLSearchParams. */
function isFormObject(value: unknown): value is FormFields {
  return isPlainObject(value) || value instanceof URLSearchParams;
}

const FORM_SCALARS = new Set(['string', 'number', 'boolean']);

function checkForm(option: string, fields: unknown): asserts fields is FormFields {
  if (fields instanceof URLSearchParams) return;
  if (!isPlainObject(fields)) {
    throw new InvalidOptionError(
      `${option} must be a plain object of field names to values (or URLSearchParams), not ${describeValue(fields)}`,
    );
  }
  for (const [name, value] of Object.entries(fields)) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (item !== null && item !== undefined && !FORM_SCALARS.has(typeof item)) {
        throw new InvalidOptionError(
          `${option}[${JSON.stringify(name)}] must be a string, number, boolean or an array of them, not ${describeValue(item)}`,
        );
      }
    }
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return `a ${(value as object).constructor?.name ?? 'object'}`;
}

/** `InvalidOptionError` with a `cause` (its constructor takes only the message). */
function invalid(message: string, cause: unknown): InvalidOptionError {
  const error = new InvalidOptionError(message);
  Object.defineProperty(error, 'cause', { value: cause, writable: true, configurable: true });
  return error;
}
