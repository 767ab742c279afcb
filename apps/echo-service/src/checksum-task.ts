/**
 * Task module of the `@net/event-loop` `WorkerPool` (runs in a worker thread): the CRC-32
 * of a bulk array's bytes, so that checksumming large arrays never blocks the event loop.
 */
import { crc32 } from 'node:zlib';

/** What the bulk endpoint hands over (the buffer is transferred, not copied). */
export interface ChecksumTask {
  buffer: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
}

/** CRC-32 of the bytes, as 8 hex digits. */
export default function checksum(task: ChecksumTask): string {
  const bytes = new Uint8Array(task.buffer, task.byteOffset, task.byteLength);
  return crc32(bytes).toString(16).padStart(8, '0');
}
