/**
 * The NumPy `.npy` header (numpy/lib/format.py): magic string, version, header length and
 * a Python dict literal `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
 * Reads versions 1.0, 2.0 and 3.0; writes 1.0, or 2.0 when the header outgrows 65535 bytes,
 * or 3.0 when it is not Latin-1 (never the case for the dtypes of this package).
 */
import { NpyHeaderError } from './errors.js';

/** `\x93NUMPY` followed by the major and minor version bytes. */
export const MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59);
/** Magic string plus the two version bytes. */
export const PRELUDE_LENGTH = MAGIC.byteLength + 2;
/** Headers are padded so that the array data starts at a multiple of this (NumPy's ARRAY_ALIGN). */
const ARRAY_ALIGN = 64;

/** The dictionary a `.npy` header holds. */
export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  /** Dimensions, as bigints since a hostile header may announce any size. */
  shape: bigint[];
}

/** Checks the magic string and version; returns the size of the header-length field (2 or 4). */
export function parsePrelude(prelude: Uint8Array): { major: number; lengthSize: 2 | 4 } {
  for (let i = 0; i < MAGIC.byteLength; i++) {
    if (prelude[i] !== MAGIC[i]) {
      const got = Buffer.from(prelude.subarray(0, MAGIC.byteLength)).toString('hex');
      throw new NpyHeaderError(`the stream starts with 0x${got}, not the magic string \\x93NUMPY`);
    }
  }
  const major = prelude[6]!;
  const minor = prelude[7]!;
  if (minor !== 0 || major < 1 || major > 3) {
    throw new NpyHeaderError(`format version ${major}.${minor} is not 1.0, 2.0 or 3.0`);
  }
  return { major, lengthSize: major === 1 ? 2 : 4 };
}

/** Reads the little-endian header length that follows the prelude. */
export function parseHeaderLength(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return bytes.byteLength === 2 ? view.getUint16(0, true) : view.getUint32(0, true);
}

/** Decodes and checks the header dictionary, as NumPy's `_read_array_header` does. */
export function parseHeader(bytes: Uint8Array, major: number): NpyHeader {
  let text: string;
  try {
    text =
      major >= 3
        ? new TextDecoder('utf-8', { fatal: true }).decode(bytes)
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  } catch (error) {
    throw new NpyHeaderError('a version 3.0 header is not valid UTF-8', error);
  }
  const value = new LiteralParser(text).parseWhole();
  if (
    value === null ||
    typeof value !== 'object' ||
    value instanceof Tuple ||
    Array.isArray(value)
  ) {
    throw new NpyHeaderError(`the header is not a dictionary: ${quote(text)}`);
  }
  const keys = Object.keys(value).sort();
  if (keys.join() !== 'descr,fortran_order,shape') {
    throw new NpyHeaderError(
      `the header has keys ${keys.join(', ') || '(none)'}, expected descr, fortran_order, shape`,
    );
  }
  const { descr, fortran_order: fortranOrder, shape } = value as Record<string, Literal>;
  if (typeof fortranOrder !== 'boolean') {
    throw new NpyHeaderError(`fortran_order is ${show(fortranOrder)}, not True or False`);
  }
  if (!(shape instanceof Tuple) || !shape.items.every((d) => typeof d === 'bigint' && d >= 0n)) {
    throw new NpyHeaderError(`shape is ${show(shape)}, not a tuple of non-negative integers`);
  }
  if (shape.items.some((d) => (d as bigint) > BigInt(Number.MAX_SAFE_INTEGER))) {
    throw new NpyHeaderError(`shape ${show(shape)} has a dimension beyond 2^53 - 1`);
  }
  if (typeof descr !== 'string') {
    // A list of fields is a structured dtype; report it as a dtype problem, not a malformed header.
    return { descr: show(descr), fortranOrder, shape: shape.items as bigint[] };
  }
  return { descr, fortranOrder, shape: shape.items as bigint[] };
}

/** True when a parsed `descr` was a structured dtype (a list of fields) rather than a string. */
export function isStructuredDescr(descr: string): boolean {
  return descr.startsWith('[') || descr.startsWith('{') || descr.startsWith('(');
}

/** Encodes a complete header (prelude, length, padded dictionary) for `descr` and `shape`. */
export function encodeHeader(descr: string, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  const latin1 = ![...dict].some((c) => c.charCodeAt(0) > 0xff);
  const body = Buffer.from(dict, latin1 ? 'latin1' : 'utf8');
  // Versions 2.0 and 3.0 have a 4-byte length; 1.0 a 2-byte one limited to 65535.
  let major = latin1 ? 1 : 3;
  let lengthSize = major === 1 ? 2 : 4;
  let padded = paddedLength(body.byteLength, lengthSize);
  if (major === 1 && padded > 0xffff) {
    major = 2;
    lengthSize = 4;
    padded = paddedLength(body.byteLength, lengthSize);
  }
  const out = Buffer.alloc(PRELUDE_LENGTH + lengthSize + padded, 0x20);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  if (lengthSize === 2) out.writeUInt16LE(padded, PRELUDE_LENGTH);
  else out.writeUInt32LE(padded, PRELUDE_LENGTH);
  out.set(body, PRELUDE_LENGTH + lengthSize);
  out[out.byteLength - 1] = 0x0a;
  return out;
}

/** Dictionary plus spaces plus `\n`, so that the data starts on an ARRAY_ALIGN boundary. */
function paddedLength(dictLength: number, lengthSize: number): number {
  const unpadded = PRELUDE_LENGTH + lengthSize + dictLength + 1;
  return dictLength + 1 + ((ARRAY_ALIGN - (unpadded % ARRAY_ALIGN)) % ARRAY_ALIGN);
}

/** A Python tuple, kept apart from lists (`[...]`, which mean structured dtypes). */
class Tuple {
  constructor(readonly items: Literal[]) {}
}

type Literal = string | bigint | boolean | null | Tuple | Literal[] | { [key: string]: Literal };

/**
 * The subset of Python literals (`ast.literal_eval`) that `.npy` headers use: dicts,
 * tuples, lists, strings, integers, True, False and None.
 */
class LiteralParser {
  #pos = 0;
  #depth = 0;

  constructor(readonly text: string) {}

  parseWhole(): Literal {
    const value = this.#value();
    this.#skipSpace();
    if (this.#pos !== this.text.length) this.#fail('unexpected text after the dictionary');
    return value;
  }

  #value(): Literal {
    this.#skipSpace();
    const c = this.text[this.#pos];
    if (c === undefined) this.#fail('the header ends too early');
    if (++this.#depth > 32) this.#fail('nesting too deep');
    try {
      if (c === '{') return this.#dict();
      if (c === '(') return this.#sequence(')', true);
      if (c === '[') return this.#sequence(']', false);
      if (c === "'" || c === '"') return this.#string(c);
      if (/[0-9+-]/.test(c!)) return this.#integer();
      return this.#name();
    } finally {
      this.#depth--;
    }
  }

  #dict(): Literal {
    this.#pos++;
    const out: Record<string, Literal> = Object.create(null);
    for (;;) {
      this.#skipSpace();
      if (this.text[this.#pos] === '}') break;
      const key = this.#value();
      if (typeof key !== 'string') this.#fail('dictionary keys must be strings');
      this.#expect(':');
      if (Object.hasOwn(out, key as string)) this.#fail(`duplicate key ${key as string}`);
      out[key as string] = this.#value();
      this.#skipSpace();
      if (this.text[this.#pos] === ',') this.#pos++;
      else if (this.text[this.#pos] !== '}') this.#fail("expected ',' or '}'");
    }
    this.#pos++;
    return out;
  }

  #sequence(close: string, tuple: boolean): Literal {
    this.#pos++;
    const items: Literal[] = [];
    let sawComma = false;
    for (;;) {
      this.#skipSpace();
      if (this.text[this.#pos] === close) break;
      items.push(this.#value());
      this.#skipSpace();
      if (this.text[this.#pos] === ',') {
        this.#pos++;
        sawComma = true;
      } else if (this.text[this.#pos] !== close) this.#fail(`expected ',' or '${close}'`);
    }
    this.#pos++;
    if (!tuple) return items;
    // `(3)` is just 3 in Python; only `(3,)` or `()` or `(3, 4)` is a tuple.
    if (items.length === 1 && !sawComma) return items[0]!;
    return new Tuple(items);
  }

  #string(quoteChar: string): string {
    let out = '';
    for (let i = this.#pos + 1; i < this.text.length; i++) {
      const c = this.text[i]!;
      if (c === quoteChar) {
        this.#pos = i + 1;
        return out;
      }
      if (c === '\\') {
        const next = this.text[++i];
        if (next === undefined) break;
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
      } else if (c === '\n') break;
      else out += c;
    }
    this.#fail('unterminated string');
  }

  #integer(): bigint {
    const match = /^[+-]?[0-9]+L?/.exec(this.text.slice(this.#pos, this.#pos + 64));
    if (match === null || match[0].replace(/[+L-]/g, '').length === 0) this.#fail('bad number');
    const digits = match![0].replace(/L$/, '');
    if (/^[+-]?0[0-9]/.test(digits)) this.#fail('integers must not have leading zeros');
    this.#pos += match![0].length;
    if (/^[.eEjJxXoObB_]/.test(this.text[this.#pos] ?? '')) this.#fail('only integers are allowed');
    return BigInt(digits);
  }

  #name(): Literal {
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.#pos, this.#pos + 32));
    const word = match?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.#pos += word.length;
      return word === 'None' ? null : word === 'True';
    }
    this.#fail(
      `unexpected ${word === undefined ? `character ${quote(this.text[this.#pos]!)}` : word}`,
    );
  }

  #skipSpace(): void {
    while (/\s/.test(this.text[this.#pos] ?? '')) this.#pos++;
  }

  #expect(c: string): void {
    this.#skipSpace();
    if (this.text[this.#pos] !== c) this.#fail(`expected '${c}'`);
    this.#pos++;
  }

  #fail(what: string): never {
    throw new NpyHeaderError(`${what} at offset ${this.#pos} of ${quote(this.text)}`);
  }
}

function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text);
}

/** Renders a parsed literal back in Python syntax, for messages. */
function show(value: Literal | undefined): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return `'${value}'`;
  if (value instanceof Tuple) return `(${value.items.map(show).join(', ')})`;
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `'${k}': ${show(v)}`)
    .join(', ')}}`;
}
