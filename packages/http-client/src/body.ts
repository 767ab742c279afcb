/**
 * Request bodies: `json`, `form`, `data` and `multipart` turned into what undici sends,
 * with the content type to add and whether the body can be sent again (redirects, retries).
 */
import { Readable } from 'node:stream';
import { FormData as UndiciFormData } from 'undici';
import { InvalidOptionError } from './errors.js';
import type { RequestOptions } from './options.js';
import { encodeParams } from './url.js';

/** A request body ready for undici. */
export interface EncodedBody {
  body: string | Uint8Array | Readable | UndiciFormData | undefined;
  /** Content type implied by the option used (`undefined`: leave it to the caller/undici). */
  contentType: string | undefined;
  /** `false` for streams, which can be sent only once. */
  replayable: boolean;
}

const NONE: EncodedBody = { body: undefined, contentType: undefined, replayable: true };

/** Encodes the body options of one request; at most one of them may be set. */
export function encodeBody(options: RequestOptions): EncodedBody {
  const { json, form, data, multipart } = options;
  const given = [
    json !== undefined,
    form !== undefined,
    data !== undefined,
    multipart !== undefined,
  ];
  const count = given.filter(Boolean).length;
  if (count === 0) return NONE;
  if (count > 1) {
    throw new InvalidOptionError('Pass only one of json, form, data and multipart per request');
  }
  if (json !== undefined) {
    return { body: JSON.stringify(json), contentType: 'application/json', replayable: true };
  }
  if (form !== undefined) return formBody(form);
  if (multipart !== undefined) {
    const form: unknown = multipart;
    if (!(form instanceof FormData) && !(form instanceof UndiciFormData)) {
      throw new InvalidOptionError('multipart must be a FormData instance');
    }
    // undici writes the multipart/form-data content type with its boundary, but only
    // recognises its own FormData class (Node's global one comes from its bundled copy).
    return { body: toUndiciFormData(multipart), contentType: undefined, replayable: true };
  }
  if (typeof data === 'string' || data instanceof Uint8Array) {
    return { body: data, contentType: undefined, replayable: true };
  }
  if (data instanceof Readable) return { body: data, contentType: undefined, replayable: false };
  if (data !== null && typeof data === 'object' && Symbol.asyncIterator in data) {
    return {
      body: Readable.from(data as AsyncIterable<Uint8Array>, { objectMode: false }),
      contentType: undefined,
      replayable: false,
    };
  }
  if (data !== null && typeof data === 'object') {
    return formBody(data as NonNullable<RequestOptions['form']>);
  }
  throw new InvalidOptionError(
    'data must be a string, Uint8Array, Readable, async iterable or plain object',
  );
}

function formBody(form: NonNullable<RequestOptions['form']>): EncodedBody {
  return {
    body: encodeParams(form),
    contentType: 'application/x-www-form-urlencoded',
    replayable: true,
  };
}

function toUndiciFormData(form: FormData): UndiciFormData {
  if (form instanceof UndiciFormData) return form;
  const copy = new UndiciFormData();
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') copy.append(name, value);
    else copy.append(name, value as Blob, (value as File).name);
  }
  return copy;
}
