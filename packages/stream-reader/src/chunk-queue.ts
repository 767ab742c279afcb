/**
 * A FIFO of received chunks that hands out byte ranges without copying when a range
 * lies inside one chunk, and copies only when it spans several.
 */
export class ChunkQueue {
  #chunks: Buffer[] = [];
  /** Index of the first live chunk in `#chunks` (avoids O(n) `shift()` per chunk). */
  #first = 0;
  /** Bytes of the first live chunk already consumed. */
  #headOffset = 0;
  #length = 0;
  /**
   * Where the last `indexOf` started: a chunk index and that chunk's position in the
   * queue. Searches resume there, so scanning a line that arrives in n tiny chunks costs
   * O(n) in all instead of O(n^2). Reset whenever the front of the queue changes.
   */
  #scanChunk = -1;
  #scanBase = 0;

  /** Bytes buffered. */
  get length(): number {
    return this.#length;
  }

  /** Appends `chunk`, or its bytes from `start` on. */
  push(chunk: Buffer, start = 0): void {
    const size = chunk.byteLength - start;
    if (size <= 0) return;
    if (this.#length === 0) {
      // Empty queue (its array emptied, not replaced, by #advance): remember the offset
      // instead of allocating a view of the tail.
      this.#chunks.push(chunk);
      this.#headOffset = start;
    } else {
      this.#chunks.push(start === 0 ? chunk : chunk.subarray(start));
    }
    this.#length += size;
  }

  /** Puts bytes back at the front, ahead of everything buffered. */
  unshift(chunk: Buffer): void {
    if (chunk.byteLength === 0) return;
    this.#compact();
    this.#scanChunk = -1;
    const head = this.#chunks[0];
    if (head !== undefined && this.#headOffset > 0) {
      this.#chunks[0] = head.subarray(this.#headOffset);
      this.#headOffset = 0;
    }
    this.#chunks.unshift(chunk);
    this.#length += chunk.byteLength;
  }

  /** Removes and returns the first `n` bytes (`n <= length`); a view when they lie in one chunk. */
  take(n: number): Buffer {
    const head = this.#chunks[this.#first];
    if (n === 0 || head === undefined) return emptyBuffer();
    const offset = this.#headOffset;
    if (n <= head.byteLength - offset) {
      // The whole chunk needs no view of it.
      const out = offset === 0 && n === head.byteLength ? head : head.subarray(offset, offset + n);
      this.#advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    this.moveTo(out, 0, n);
    return out;
  }

  /** Removes and returns everything buffered. */
  takeAll(): Buffer {
    return this.take(this.#length);
  }

  /** Removes and returns the first chunk, or its first `max` bytes, never copying. */
  takeChunk(max: number): Buffer {
    const head = this.#chunks[this.#first];
    if (head === undefined) return emptyBuffer();
    const n = Math.min(max, head.byteLength - this.#headOffset);
    const out = head.subarray(this.#headOffset, this.#headOffset + n);
    this.#advance(n);
    return out;
  }

  /** Moves the first `n` buffered bytes (`n <= length`) into `target` at `targetOffset`. */
  moveTo(target: Uint8Array, targetOffset: number, n: number): void {
    let copied = 0;
    while (copied < n) {
      const head = this.#chunks[this.#first]!;
      const count = Math.min(head.byteLength - this.#headOffset, n - copied);
      target.set(byteView(head, this.#headOffset, count), targetOffset + copied);
      copied += count;
      this.#advance(count);
    }
  }

  /**
   * Index of the first occurrence of `needle` that starts at or after `from`, or -1.
   * Matches may straddle chunk boundaries.
   */
  indexOf(needle: Uint8Array, from: number): number {
    let base = 0; // position of the current chunk's first unread byte
    let i = this.#first;
    if (this.#scanChunk >= this.#first && from >= this.#scanBase) {
      i = this.#scanChunk;
      base = this.#scanBase;
    }
    let offset = i === this.#first ? this.#headOffset : 0;
    for (; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i]!;
      const size = chunk.byteLength - offset;
      if (base + size > from) {
        if (this.#scanChunk < i) {
          this.#scanChunk = i;
          this.#scanBase = base;
        }
        const localFrom = Math.max(0, from - base);
        const inside = chunk.indexOf(needle, offset + localFrom);
        if (inside !== -1) return base + inside - offset;
        // A match can also begin in this chunk's last needle.length - 1 bytes and run on.
        for (let start = Math.max(localFrom, size - needle.byteLength + 1); start < size; start++) {
          if (this.#matchesAt(i, offset + start, needle)) return base + start;
        }
      }
      base += size;
      offset = 0;
    }
    return -1;
  }

  /** Reads the first `count` buffered bytes (`count <= length`) as an unsigned integer. */
  peekUInt(count: 1 | 2 | 4 | 8, littleEndian: boolean): number {
    const head = this.#chunks[this.#first]!;
    // Usually the header lies in the first chunk: read it there, without a copy.
    const bytes = head.byteLength - this.#headOffset >= count ? head : this.#peekCopy(count);
    return readUIntAt(bytes, bytes === head ? this.#headOffset : 0, count, littleEndian);
  }

  /** The first `count` buffered bytes (`count <= length`), copied out of several chunks. */
  #peekCopy(count: number): Buffer {
    const bytes = Buffer.allocUnsafe(count);
    let copied = 0;
    let offset = this.#headOffset;
    for (let i = this.#first; copied < count; i++) {
      const chunk = this.#chunks[i]!;
      const n = Math.min(chunk.byteLength - offset, count - copied);
      chunk.copy(bytes, copied, offset, offset + n);
      copied += n;
      offset = 0;
    }
    return bytes;
  }

  #matchesAt(chunkIndex: number, position: number, needle: Uint8Array): boolean {
    let i = chunkIndex;
    let pos = position;
    for (let k = 0; k < needle.byteLength; k++) {
      let chunk = this.#chunks[i];
      while (chunk !== undefined && pos >= chunk.byteLength) {
        i++;
        pos = 0;
        chunk = this.#chunks[i];
      }
      if (chunk === undefined || chunk[pos] !== needle[k]) return false;
      pos++;
    }
    return true;
  }

  #advance(n: number): void {
    this.#length -= n;
    this.#scanChunk = -1;
    while (n > 0) {
      const head = this.#chunks[this.#first]!;
      const available = head.byteLength - this.#headOffset;
      if (n < available) {
        this.#headOffset += n;
        return;
      }
      n -= available;
      this.#chunks[this.#first] = undefined as unknown as Buffer; // release the memory now
      this.#first++;
      this.#headOffset = 0;
    }
    if (this.#first === this.#chunks.length) {
      // Keep the usual one-chunk array for the next push (pop is cheap; `length = 0` is not).
      if (this.#first === 1) this.#chunks.pop();
      else this.#chunks = [];
      this.#first = 0;
    } else if (this.#first >= 1024) {
      this.#compact();
    }
  }

  #compact(): void {
    if (this.#first === 0) return;
    this.#scanChunk = -1;
    this.#chunks = this.#chunks.slice(this.#first);
    this.#first = 0;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * A new zero-length Buffer. A view of a shared empty one costs a tenth of `Buffer.alloc(0)`,
 * which makes a backing store each time (and a reader's `release()` usually returns one).
 */
function emptyBuffer(): Buffer {
  return EMPTY.subarray(0, 0);
}

/**
 * `bytes[start, start + count)` without a copy. A plain Uint8Array view is much cheaper to
 * make than `Buffer#subarray`, which goes through the species constructor.
 */
export function byteView(bytes: Uint8Array, start: number, count: number): Uint8Array {
  return start === 0 && count === bytes.byteLength
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset + start, count);
}

/** The unsigned integer of `count` bytes at `at` (a frame header). */
export function readUIntAt(
  bytes: Buffer,
  at: number,
  count: 1 | 2 | 4 | 8,
  littleEndian: boolean,
): number {
  if (count === 1) return bytes.readUInt8(at);
  if (count === 2) return littleEndian ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at);
  if (count === 4) return littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at);
  const big = littleEndian ? bytes.readBigUInt64LE(at) : bytes.readBigUInt64BE(at);
  // Past 2^53 the number is approximate; any such length is over every sane limit anyway.
  return Number(big);
}
