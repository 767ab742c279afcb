/**
 * HMAC computation and comparison, and the digest names each protocol allows. The key is
 * validated once per handshake and never formatted into any string.
 */
import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from './errors.js';

/** Digests of the recipe protocol. `md5` and `sha1` exist only for legacy peers. */
export type RecipeDigest = 'sha256' | 'sha384' | 'sha512' | 'sha1' | 'md5';

/** Digests of multiprocessing's handshake, spelled as Python spells them (`_ALLOWED_DIGESTS`). */
export type MultiprocessingDigest = 'md5' | 'sha256' | 'sha384' | 'sha3_256' | 'sha3_384';

/** Python's names to Node's, and the digest sizes in bytes. */
const ALGORITHMS: Record<RecipeDigest | MultiprocessingDigest, { node: string; size: number }> = {
  md5: { node: 'md5', size: 16 },
  sha1: { node: 'sha1', size: 20 },
  sha256: { node: 'sha256', size: 32 },
  sha384: { node: 'sha384', size: 48 },
  sha512: { node: 'sha512', size: 64 },
  sha3_256: { node: 'sha3-256', size: 32 },
  sha3_384: { node: 'sha3-384', size: 48 },
};

/** The secret key as callers may give it. Strings are encoded as UTF-8. */
export type SecretKey = Uint8Array | string | KeyObject;

/** Validates the key (errors never include it); strings become their UTF-8 bytes. */
export function toHmacKey(secretKey: SecretKey): KeyObject | Uint8Array {
  if (typeof secretKey === 'object' && secretKey !== null && 'type' in secretKey) {
    if ((secretKey as KeyObject).type !== 'secret') {
      throw new InvalidArgumentError(
        'secretKey must be a secret KeyObject, not a public/private key',
      );
    }
    if ((secretKey as KeyObject).symmetricKeySize === 0) {
      throw new InvalidArgumentError('secretKey must not be empty');
    }
    return secretKey as KeyObject;
  }
  const bytes =
    typeof secretKey === 'string'
      ? Buffer.from(secretKey, 'utf8')
      : secretKey instanceof Uint8Array
        ? secretKey
        : undefined;
  if (bytes === undefined) {
    throw new InvalidArgumentError(
      `secretKey must be a Uint8Array, a string or a secret KeyObject, got ${typeof secretKey}`,
    );
  }
  if (bytes.byteLength === 0) throw new InvalidArgumentError('secretKey must not be empty');
  return bytes; // createHmac takes bytes directly, cheaper than a KeyObject per handshake
}

/** Size in bytes of `digest`'s output; throws for names outside both protocols. */
export function digestSize(digest: string): number {
  const algorithm = ALGORITHMS[digest as RecipeDigest];
  if (algorithm === undefined) {
    throw new InvalidArgumentError(
      `Unknown digest "${digest}"; use one of ${Object.keys(ALGORITHMS).join(', ')}`,
    );
  }
  return algorithm.size;
}

/** HMAC-`digest` of the concatenated `parts`. */
export function hmac(
  digest: RecipeDigest | MultiprocessingDigest,
  key: KeyObject | Uint8Array,
  ...parts: Uint8Array[]
): Buffer {
  const mac = createHmac(ALGORITHMS[digest].node, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Constant-time comparison; different lengths compare unequal (length is not secret). */
export function digestsEqual(expected: Uint8Array, actual: Uint8Array): boolean {
  return expected.byteLength === actual.byteLength && timingSafeEqual(expected, actual);
}
