/**
 * Turning user payloads into bytes, refusing what one datagram cannot carry, and
 * rejected promises that are safe to ignore.
 */
import { Buffer } from 'node:buffer';
import { type AddressFamily, maxPayloadFor } from './address.js';
import { DatagramTooLargeError, InvalidArgumentError } from './errors.js';

/** What `reply()` and `request()` accept: bytes, or a string sent as UTF-8. */
export type Payload = Uint8Array | string;

/**
 * Returns `data` as bytes (strings as UTF-8, no copy for a Uint8Array), or throws
 * {@link DatagramTooLargeError} when it does not fit one datagram to `address`.
 */
export function toDatagram(data: Payload, address: string, family: AddressFamily): Uint8Array {
  let bytes: Uint8Array;
  if (data instanceof Uint8Array) bytes = data;
  else if (typeof data === 'string') bytes = Buffer.from(data, 'utf8');
  else throw new InvalidArgumentError('A datagram payload must be a Uint8Array or a string');
  const limit = maxPayloadFor(address, family);
  if (bytes.byteLength > limit) throw new DatagramTooLargeError(bytes.byteLength, limit);
  return bytes;
}

const ignore = (): void => undefined;

/** A promise rejected with `error` that does not count as unhandled if nobody awaits it. */
export function quietRejection(error: unknown): Promise<never> {
  const promise = Promise.reject(error);
  promise.catch(ignore);
  return promise;
}
