/**
 * Challenge bytes from `crypto.randomBytes`, drawn from a pool: one 4 KiB call serves
 * many handshakes, since a call per 32-byte challenge costs more than the HMAC itself.
 * Every byte is handed out once; an exhausted pool is replaced, never refilled, so a
 * challenge still in use never changes.
 */
import { randomBytes } from 'node:crypto';

const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/** `length` fresh random bytes (a view of the pool, never handed out again). */
export function randomChallenge(length: number): Buffer {
  if (length > POOL_SIZE) return randomBytes(length);
  if (offset + length > pool.byteLength) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + length);
  offset += length;
  return bytes;
}
