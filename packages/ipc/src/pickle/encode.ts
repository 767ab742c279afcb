/**
 * A pickle writer for JS values, in protocol 4 (Python's default from 3.8 to 3.13; every
 * Python 3.4+ reads it), with the opcodes Python's own pickler uses for the same data, so
 * that Python's `pickle.loads` / `conn.recv()` build equal values.
 */
import { PickleLimitError, SerializeError } from '../errors.js';
import {
  isHashable,
  isTuple,
  type PickleOptions,
  type ResolvedPickleOptions,
  resolvePickleOptions,
} from './values.js';

/** A lone surrogate: Buffer's UTF-8 would write U+FFFD for it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Python's pickler appends and sets items in batches of this many. */
const BATCH = 1000;

/** Why a value has no pickle form, with the path to it filled in as the error unwinds. */
class Unpicklable extends Error {
  readonly path: (string | number)[] = [];
}

/**
 * Encodes `value` as a protocol 4 pickle, which Python's `pickle.loads` reads as: `null` /
 * `undefined`→`None`, boolean→`bool`, an integer number (not `-0`) or a bigint→`int`, any
 * other number→`float`, string→`str` (lone surrogates as Python's 'surrogatepass' writes
 * them), `Uint8Array`→`bytes`, array→`list` (or `tuple` when marked by `tuple()` /
 * `asTuple()`), `Map` or plain object→`dict`, `Set`→`set`. Shared and recursive references
 * stay shared and recursive. Throws `ERR_SERIALIZE` ({@link SerializeError}, with the path
 * to the value) for anything else, and `ERR_PICKLE_LIMIT` past `maxDepth`.
 */
export function encodePickle(value: unknown, options?: PickleOptions): Uint8Array {
  return encodeWith(value, resolvePickleOptions(options));
}

/** {@link encodePickle} with options resolved once (a connection's). */
export function encodeWith(value: unknown, { maxDepth }: ResolvedPickleOptions): Uint8Array {
  const writer = new PickleWriter(maxDepth);
  try {
    writer.byte(0x80); // PROTO 4
    writer.byte(4);
    writer.value(value, 0);
    writer.byte(0x2e); // STOP
  } catch (error) {
    if (error instanceof Unpicklable) {
      const path = error.path
        .map((step) =>
          typeof step === 'number' ? `[${step}]` : step.startsWith('<') ? step : `.${step}`,
        )
        .join('');
      throw new SerializeError(error, 'pickle', `$${path}`);
    }
    throw error;
  }
  return writer.result();
}

class PickleWriter {
  // Zero-filled and never from the shared pool: the result is a view of this buffer, and its
  // `.buffer` must hold nothing but what we wrote.
  #buffer = Buffer.alloc(256);
  /** Numbers go through a DataView: its accessors compile to plain stores, Buffer's do not. */
  #view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.byteLength);
  #pos = 0;
  readonly #maxDepth: number;
  /** Containers already written, by memo index (shared and recursive references). */
  readonly #memo = new Map<object, number>();
  /** Tuples being written: a tuple met again inside itself is written once, as Python does. */
  readonly #tupleVisits = new Map<object, number>();

  constructor(maxDepth: number) {
    this.#maxDepth = maxDepth;
  }

  result(): Uint8Array {
    return this.#buffer.subarray(0, this.#pos);
  }

  #reserve(n: number): Buffer {
    const needed = this.#pos + n;
    if (needed > this.#buffer.length) {
      const grown = Buffer.alloc(Math.max(needed, this.#buffer.length * 2));
      this.#buffer.copy(grown, 0, 0, this.#pos);
      this.#buffer = grown;
      this.#view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
    }
    return this.#buffer;
  }

  byte(op: number): void {
    this.#reserve(1)[this.#pos++] = op;
  }

  value(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'number':
        this.#number(value);
        break;
      case 'string':
        this.#string(value);
        break;
      case 'boolean':
        this.byte(value ? 0x88 : 0x89); // NEWTRUE / NEWFALSE
        break;
      case 'undefined':
        this.byte(0x4e); // NONE
        break;
      case 'bigint':
        this.#bigint(value);
        break;
      case 'object':
        if (value === null) this.byte(0x4e);
        else this.#object(value, depth);
        break;
      default:
        throw new Unpicklable(`a ${typeof value} has no pickle form`);
    }
  }

  #number(value: number): void {
    if (Number.isInteger(value) && !Object.is(value, -0)) {
      if (value >= 0 && value < 0x100) {
        const buffer = this.#reserve(2);
        buffer[this.#pos] = 0x4b; // BININT1
        buffer[this.#pos + 1] = value;
        this.#pos += 2;
        return;
      }
      if (value >= 0 && value < 0x10000) {
        const buffer = this.#reserve(3);
        buffer[this.#pos] = 0x4d; // BININT2
        this.#view.setUint16(this.#pos + 1, value, true);
        this.#pos += 3;
        return;
      }
      if (value >= -0x80000000 && value < 0x80000000) {
        const buffer = this.#reserve(5);
        buffer[this.#pos] = 0x4a; // BININT
        this.#view.setInt32(this.#pos + 1, value, true);
        this.#pos += 5;
        return;
      }
      this.#bigint(BigInt(value));
      return;
    }
    const buffer = this.#reserve(9);
    buffer[this.#pos] = 0x47; // BINFLOAT
    this.#view.setFloat64(this.#pos + 1, value, false);
    this.#pos += 9;
  }

  /** LONG1 / LONG4: little-endian two's complement, as few bytes as hold the sign. */
  #bigint(value: bigint): void {
    if (value >= -0x80000000n && value < 0x80000000n) {
      this.#number(Number(value));
      return;
    }
    // Little-endian two's complement in as few bytes as hold the sign, through one hex
    // string (linear in the size; shifting a bigint byte by byte would be quadratic). A
    // negative v is the bitwise inverse of -v - 1, which is not negative.
    const negative = value < 0n;
    const magnitude = negative ? -value - 1n : value;
    let hex = magnitude.toString(16);
    if (hex.length % 2 === 1) hex = `0${hex}`;
    const bytes = Buffer.from(hex, 'hex').reverse(); // now little-endian
    const guard = (bytes[bytes.length - 1]! & 0x80) !== 0 ? 1 : 0; // room for the sign bit
    if (negative) for (let i = 0; i < bytes.length; i++) bytes[i] = ~bytes[i]! & 0xff;
    const n = bytes.length + guard;
    const buffer = this.#reserve(5 + n);
    if (n < 0x100) {
      buffer[this.#pos++] = 0x8a; // LONG1
      buffer[this.#pos++] = n;
    } else {
      buffer[this.#pos++] = 0x8b; // LONG4
      buffer.writeInt32LE(n, this.#pos);
      this.#pos += 4;
    }
    buffer.set(bytes, this.#pos);
    this.#pos += bytes.length;
    if (guard === 1) buffer[this.#pos++] = negative ? 0xff : 0x00;
  }

  #string(value: string): void {
    const length = value.length;
    if (length < 64) {
      // Short ASCII strings (keys, names) are cheaper written here than through C++.
      const buffer = this.#reserve(2 + length);
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[this.#pos + 2 + i] = code;
      }
      if (i === length) {
        buffer[this.#pos] = 0x8c; // SHORT_BINUNICODE
        buffer[this.#pos + 1] = length;
        this.#pos += 2 + length;
        return;
      }
    }
    if (LONE_SURROGATE.test(value)) {
      this.#header(0x8c, surrogatePassEncode(value));
      return;
    }
    const most = length * 3;
    const buffer = this.#reserve(9 + most);
    const head = this.#pos;
    // Write after the longest header, then move the bytes up if a shorter one fits.
    const written = buffer.write(value, head + 9, 'utf8');
    const headerSize = this.#headerSize(written);
    if (headerSize !== 9) {
      buffer.copy(buffer, head + headerSize, head + 9, head + 9 + written);
      buffer.fill(0, head + headerSize + written, head + 9 + written); // no stale copy left
    }
    this.#writeHeader(0x8c, written, headerSize);
    this.#pos += written;
  }

  /** Header bytes for a str (0x8c family) or bytes (0x43 family) body of `length`. */
  #headerSize(length: number): number {
    return length < 0x100 ? 2 : length <= 0xffffffff ? 5 : 9;
  }

  #writeHeader(family: 0x8c | 0x43, length: number, size: number): void {
    const buffer = this.#buffer;
    const pos = this.#pos;
    if (size === 2) {
      buffer[pos] = family; // SHORT_BINUNICODE / SHORT_BINBYTES
      buffer[pos + 1] = length;
    } else if (size === 5) {
      buffer[pos] = family === 0x8c ? 0x58 : 0x42; // BINUNICODE / BINBYTES
      buffer.writeUInt32LE(length, pos + 1);
    } else {
      buffer[pos] = family === 0x8c ? 0x8d : 0x8e; // BINUNICODE8 / BINBYTES8
      buffer.writeBigUInt64LE(BigInt(length), pos + 1);
    }
    this.#pos += size;
  }

  /** A header then `body` as it is. */
  #header(family: 0x8c | 0x43, body: Uint8Array): void {
    const size = this.#headerSize(body.byteLength);
    this.#reserve(size + body.byteLength);
    this.#writeHeader(family, body.byteLength, size);
    this.#buffer.set(body, this.#pos);
    this.#pos += body.byteLength;
  }

  #object(value: object, depth: number): void {
    const index = this.#memo.get(value);
    if (index !== undefined) {
      this.#get(index);
      return;
    }
    if (value instanceof Uint8Array) {
      this.#header(0x43, value);
      return;
    }
    if (depth >= this.#maxDepth) throw new PickleLimitError('maxDepth', this.#maxDepth, 'sent');
    if (Array.isArray(value)) {
      if (isTuple(value)) this.#tuple(value, depth);
      else this.#list(value, depth);
      return;
    }
    if (value instanceof Map) {
      this.#map(value, depth);
      return;
    }
    if (value instanceof Set) {
      this.#set(value, depth);
      return;
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === null) {
      this.#plainObject(value as Record<string, unknown>, depth);
      return;
    }
    throw new Unpicklable(`${describe(value)} has no pickle form`);
  }

  #memoize(value: object): void {
    this.#memo.set(value, this.#memo.size);
    this.byte(0x94); // MEMOIZE
  }

  #get(index: number): void {
    if (index < 0x100) {
      const buffer = this.#reserve(2);
      buffer[this.#pos++] = 0x68; // BINGET
      buffer[this.#pos++] = index;
    } else {
      const buffer = this.#reserve(5);
      buffer[this.#pos] = 0x6a; // LONG_BINGET
      buffer.writeUInt32LE(index, this.#pos + 1);
      this.#pos += 5;
    }
  }

  #list(list: readonly unknown[], depth: number): void {
    this.byte(0x5d); // EMPTY_LIST
    this.#memoize(list);
    const length = list.length;
    // A list that starts with a float is most likely all floats (numeric data): room for
    // them at once (BINFLOAT is 9 bytes; a MARK and an APPENDS per batch; a little for what
    // follows, such as the STOP) instead of doubling the buffer a dozen times on the way.
    const first = list[0];
    if (length > 1 && typeof first === 'number' && !Number.isInteger(first)) {
      this.#reserve(length * 9 + Math.ceil(length / BATCH) * 2 + 64);
    }
    let i = 0;
    try {
      if (length === 1) {
        this.value(list[0], depth + 1);
        this.byte(0x61); // APPEND
        return;
      }
      while (i < length) {
        const stop = Math.min(length, i + BATCH);
        this.byte(0x28); // MARK
        for (; i < stop; i++) {
          const item = list[i];
          // Numbers skip the type switch: lists of numbers are the bulk case.
          if (typeof item === 'number') this.#number(item);
          else this.value(item, depth + 1);
        }
        this.byte(0x65); // APPENDS
      }
    } catch (error) {
      if (error instanceof Unpicklable) error.path.unshift(length === 1 ? 0 : i);
      throw error;
    }
  }

  /**
   * Python's save_tuple: items, then TUPLE; if writing the items wrote the tuple itself (a
   * tuple reachable from its own items through a list or dict), drop the items and fetch it.
   */
  #tuple(items: readonly unknown[], depth: number): void {
    const length = items.length;
    if (length === 0) {
      this.byte(0x29); // EMPTY_TUPLE
      return;
    }
    const visits = (this.#tupleVisits.get(items) ?? 0) + 1;
    if (visits > 2) {
      throw new Unpicklable('a tuple that contains itself through tuples only has no pickle form');
    }
    this.#tupleVisits.set(items, visits);
    if (length > 3) this.byte(0x28); // MARK
    let i = 0;
    try {
      for (; i < length; i++) this.value(items[i], depth + 1);
    } catch (error) {
      if (error instanceof Unpicklable) error.path.unshift(i);
      throw error;
    }
    this.#tupleVisits.set(items, visits - 1);
    const index = this.#memo.get(items);
    if (index !== undefined) {
      // Written meanwhile (recursion): drop our copy of the items, fetch that one.
      if (length > 3)
        this.byte(0x31); // POP_MARK
      else for (let k = 0; k < length; k++) this.byte(0x30); // POP
      this.#get(index);
      return;
    }
    this.byte(length > 3 ? 0x74 : 0x84 + length); // TUPLE, or TUPLE1..3 (0x85..0x87)
    this.#memoize(items);
  }

  #set(set: Set<unknown>, depth: number): void {
    this.byte(0x8f); // EMPTY_SET
    this.#memoize(set);
    let batch = 0;
    let index = 0;
    try {
      for (const item of set) {
        if (!isHashable(item)) {
          throw new Unpicklable(
            `${describe(item)} cannot be a Python set item (unhashable): use a tuple() for a list`,
          );
        }
        if (batch === 0) this.byte(0x28); // MARK
        this.value(item, depth + 1);
        index++;
        if (++batch === BATCH) {
          this.byte(0x90); // ADDITEMS
          batch = 0;
        }
      }
    } catch (error) {
      if (error instanceof Unpicklable) error.path.unshift(`<set item ${index}>`);
      throw error;
    }
    if (batch > 0) this.byte(0x90);
  }

  #map(map: Map<unknown, unknown>, depth: number): void {
    this.byte(0x7d); // EMPTY_DICT
    this.#memoize(map);
    let batch = 0;
    // Where an error is, named only if one is thrown (naming keys costs on the hot path).
    let current: unknown;
    let inKey = true;
    try {
      // forEach, not for-of: no [key, value] array per entry. Str keys and number values,
      // the usual dict, skip the type switch.
      map.forEach((item, key) => {
        current = key;
        inKey = true;
        if (batch === 0) this.byte(0x28); // MARK
        if (typeof key === 'string') this.#string(key);
        else if (isHashable(key)) this.value(key, depth + 1);
        else {
          throw new Unpicklable(
            `${describe(key)} cannot be a Python dict key (unhashable): use a tuple() for a list`,
          );
        }
        inKey = false;
        if (typeof item === 'number') this.#number(item);
        else this.value(item, depth + 1);
        if (++batch === BATCH) {
          this.byte(0x75); // SETITEMS
          batch = 0;
        }
      });
    } catch (error) {
      if (error instanceof Unpicklable) {
        error.path.unshift(
          inKey
            ? `<key ${describeKey(current)}>`
            : typeof current === 'string'
              ? current
              : `<value of ${describeKey(current)}>`,
        );
      }
      throw error;
    }
    if (batch > 0) this.byte(0x75);
  }

  #plainObject(object: Record<string, unknown>, depth: number): void {
    this.byte(0x7d); // EMPTY_DICT
    this.#memoize(object);
    const keys = Object.keys(object);
    let i = 0;
    try {
      while (i < keys.length) {
        const stop = Math.min(keys.length, i + BATCH);
        this.byte(0x28); // MARK
        for (; i < stop; i++) {
          const key = keys[i]!;
          this.#string(key);
          this.value(object[key], depth + 1);
        }
        this.byte(0x75); // SETITEMS
      }
    } catch (error) {
      if (error instanceof Unpicklable) error.path.unshift(keys[i]!);
      throw error;
    }
  }
}

/** What a value is, for messages: "a function", "a Date", "an instance of Foo". */
function describe(value: unknown): string {
  if (typeof value !== 'object' || value === null) return `a ${typeof value}`;
  if (Array.isArray(value)) return isTuple(value) ? 'a tuple' : 'an array (a Python list)';
  if (value instanceof Map) return 'a Map (a Python dict)';
  if (value instanceof Set) return 'a Set (a Python set)';
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name === 'string' && name !== 'Object') {
    return ArrayBuffer.isView(value) || value instanceof ArrayBuffer
      ? `a ${name} (only Uint8Array is sent, as bytes)`
      : `a ${name}`;
  }
  return 'a plain object (a Python dict)';
}

function describeKey(key: unknown): string {
  return typeof key === 'string' ? JSON.stringify(key) : String(key);
}

/** UTF-8 that writes a lone surrogate as its 3-byte form, as Python's 'surrogatepass'. */
function surrogatePassEncode(value: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const code = value.codePointAt(i)!;
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) {
      out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    } else {
      out.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 0x3f),
        0x80 | ((code >> 6) & 0x3f),
        0x80 | (code & 0x3f),
      );
      i++; // the pair's second half
    }
  }
  return Uint8Array.from(out);
}
