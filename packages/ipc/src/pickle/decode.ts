/**
 * A pickle reader that implements the data opcodes only (protocols 0 to 5, as Python's
 * `pickle.loads` reads them). Opcodes that would import or call something are refused where
 * they stand: nothing a pickle names is ever looked up. Python's protocols 2 to 4 spell
 * `bytes`, `bytearray`, `set` and `frozenset` as a call of a builtin (`GLOBAL` + `REDUCE`);
 * those five names are recognised and built here, by fixed code, and every other name is
 * refused. The machine is iterative (no JS recursion), so no pickle can overflow the stack.
 */
import { DeserializeError, PickleLimitError, PickleUnsafeError } from '../errors.js';
import {
  asTuple,
  isHashable,
  isTuple,
  type PickleOptions,
  type ResolvedPickleOptions,
  resolvePickleOptions,
  tuple,
} from './values.js';

/** A malformed pickle: becomes a `DeserializeError` (its `cause`). */
class PickleFormatError extends Error {}

/** Opcodes that import or call: refused by name. */
const UNSAFE = new Map<number, string>([
  [0x50, 'PERSID'],
  [0x51, 'BINPERSID'],
  [0x52, 'REDUCE'],
  [0x62, 'BUILD'],
  [0x63, 'GLOBAL'],
  [0x69, 'INST'],
  [0x6f, 'OBJ'],
  [0x81, 'NEWOBJ'],
  [0x82, 'EXT1'],
  [0x83, 'EXT2'],
  [0x84, 'EXT4'],
  [0x92, 'NEWOBJ_EX'],
  [0x93, 'STACK_GLOBAL'],
]);

/** The builtins protocols 2 to 4 call for data types, built here instead. */
type ConstructorKind = 'bytes' | 'bytearray' | 'set' | 'frozenset' | 'encode';

/** What `GLOBAL` pushes for an allowed name: only `REDUCE` may consume it. */
class Constructor {
  constructor(
    readonly kind: ConstructorKind,
    readonly label: string,
    readonly opcode: string,
    readonly offset: number,
  ) {}
}

const ALLOWED_GLOBALS = new Map<string, ConstructorKind>([
  ['builtins.bytes', 'bytes'],
  ['builtins.bytearray', 'bytearray'],
  ['builtins.set', 'set'],
  ['builtins.frozenset', 'frozenset'],
  // Python 2's module name, which Python 3 maps to builtins (pickle's fix_imports).
  ['__builtin__.bytes', 'bytes'],
  ['__builtin__.bytearray', 'bytearray'],
  ['__builtin__.set', 'set'],
  ['__builtin__.frozenset', 'frozenset'],
  // Protocol 2's spelling of bytes: _codecs.encode(str, 'latin1').
  ['_codecs.encode', 'encode'],
]);

/**
 * Per plain-object dict (dicts: 'object'): so it can become a Map if a non-str key comes.
 * Whether another reference to it exists (then it cannot be swapped) is `#shared`'s.
 */
interface DictInfo {
  ordinal: number;
  memoIndex: number;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes one pickle as Python's `pickle.loads` would, into JS values: `None`→`null`,
 * `bool`→boolean, `int`→number (a safe integer) or bigint, `float`→number, `str`→string,
 * `bytes`/`bytearray`→`Uint8Array`, `list`→array, `tuple`→array marked as a tuple
 * (`isTuple`), `dict`→`Map` (with `dicts: 'object'`, a plain object when every key is a
 * `str`), `set`/`frozenset`→`Set`. Shared and
 * recursive references stay shared and recursive. Throws `ERR_PICKLE_UNSAFE`
 * ({@link PickleUnsafeError}) for an opcode that imports or calls, `ERR_PICKLE_LIMIT`
 * ({@link PickleLimitError}) past `maxDepth` / `maxContainers`, and `ERR_DESERIALIZE`
 * ({@link DeserializeError}) for a malformed, truncated or unsupported pickle.
 */
export function decodePickle(bytes: Uint8Array, options?: PickleOptions): unknown {
  return decodeWith(bytes, resolvePickleOptions(options));
}

/** {@link decodePickle} with options resolved once (a connection's). */
export function decodeWith(bytes: Uint8Array, resolved: ResolvedPickleOptions): unknown {
  try {
    const first = new PickleReader(
      bytes,
      resolved.dicts,
      resolved.maxContainers,
      resolved.maxDepth,
      undefined,
    );
    let result = first.run();
    if (first.mapOrdinals !== undefined) {
      // A str-keyed dict got a non-str key after a second reference to it was handed out:
      // read again, building those dicts as Maps from the start (one more pass at most).
      const second = new PickleReader(
        bytes,
        resolved.dicts,
        resolved.maxContainers,
        resolved.maxDepth,
        first.mapOrdinals,
      );
      result = second.run();
    }
    if (first.constructors > 0 || first.stale) checkGraph(result, resolved.maxDepth);
    return result;
  } catch (error) {
    if (error instanceof PickleFormatError || error instanceof RangeError) {
      throw new DeserializeError(error, bytes, 'pickle');
    }
    throw error;
  }
}

class PickleReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #buffer: Buffer;
  readonly #objectDicts: boolean;
  readonly #maxContainers: number;
  /** Ordinals of the dicts to build as Maps from the start (the second pass). */
  readonly #forceMap: Set<number> | undefined;
  #pos = 0;
  readonly #stack: unknown[] = [];
  readonly #marks: number[] = [];
  readonly #memo: unknown[] = [];
  #memoCount = 0;
  #dictCount = 0;
  readonly #dicts = new Map<object, DictInfo>();
  /** Containers built (checked against maxContainers). */
  containers = 0;
  readonly #maxDepth: number;
  /**
   * Each container's height (1 + its tallest child's), kept as items go in, so a depth bomb
   * fails at maxDepth + 1 levels, not after it was built. Exact while containers are filled
   * before they go into another, as picklers write them.
   */
  readonly #heights = new Map<object, number>();
  /** Values handed out a second time (memo get, DUP): a parent may hold them already. */
  readonly #shared = new Set<object>();
  /** A shared value went into a container, or a shared container grew: heights may be stale. */
  stale = false;
  /** Allowed GLOBALs seen: the result is walked to make sure none is left as a value. */
  constructors = 0;
  /** Set when a second pass is needed (see decodePickle). */
  mapOrdinals: Set<number> | undefined;

  constructor(
    bytes: Uint8Array,
    dicts: 'object' | 'map',
    maxContainers: number,
    maxDepth: number,
    forceMap: Set<number> | undefined,
  ) {
    this.#maxDepth = maxDepth;
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#objectDicts = dicts === 'object';
    this.#maxContainers = maxContainers;
    this.#forceMap = forceMap;
  }

  run(): unknown {
    const bytes = this.#bytes;
    const view = this.#view;
    const stack = this.#stack;
    const end = bytes.byteLength;
    for (;;) {
      if (this.#pos >= end) throw new PickleFormatError('it ends before the STOP opcode');
      const at = this.#pos;
      const op = bytes[this.#pos++]!;
      switch (op) {
        case 0x2e: // STOP
          if (stack.length === 0) throw new PickleFormatError('STOP with an empty stack');
          return stack.pop();
        case 0x80: {
          // PROTO
          const version = this.#take(1, 'PROTO');
          if (bytes[version]! > 5) {
            throw new PickleFormatError(`unsupported pickle protocol ${bytes[version]}`);
          }
          break;
        }
        case 0x95: // FRAME: framing is a reading hint; the whole message is here already
          this.#length(this.#take(8, 'FRAME'), 'FRAME');
          break;
        case 0x28: // MARK
          if (!this.#scalarBatches()) this.#marks.push(stack.length);
          break;
        case 0x30: {
          // POP: the top item above the last MARK, else that MARK (Python's rule)
          const marks = this.#marks;
          if (stack.length > (marks.length > 0 ? marks[marks.length - 1]! : 0)) stack.pop();
          else this.#popMark('POP');
          break;
        }
        case 0x31: // POP_MARK
          stack.length = this.#popMark('POP_MARK');
          break;
        case 0x32: // DUP
          stack.push(this.#escape(this.#top('DUP')));
          break;
        case 0x4e: // NONE
          stack.push(null);
          break;
        case 0x88: // NEWTRUE
          stack.push(true);
          break;
        case 0x89: // NEWFALSE
          stack.push(false);
          break;
        case 0x4b: // BININT1
          stack.push(bytes[this.#take(1, 'BININT1')]);
          break;
        case 0x4d: // BININT2
          stack.push(view.getUint16(this.#take(2, 'BININT2'), true));
          break;
        case 0x4a: // BININT
          stack.push(view.getInt32(this.#take(4, 'BININT'), true));
          break;
        case 0x8a: {
          // LONG1
          const n = bytes[this.#take(1, 'LONG1')]!;
          stack.push(this.#long(this.#take(n, 'LONG1'), n));
          break;
        }
        case 0x8b: {
          // LONG4
          const n = view.getInt32(this.#take(4, 'LONG4'), true);
          if (n < 0) throw new PickleFormatError(`LONG4 with a negative length at byte ${at}`);
          stack.push(this.#long(this.#take(n, 'LONG4'), n));
          break;
        }
        case 0x47: // BINFLOAT
          stack.push(view.getFloat64(this.#take(8, 'BINFLOAT'), false));
          break;
        case 0x49: // INT (protocol 0): I00 / I01 are the bools
          stack.push(this.#textInt(this.#line('INT'), true));
          break;
        case 0x4c: // LONG (protocol 0)
          stack.push(this.#textInt(this.#line('LONG').replace(/L$/, ''), false));
          break;
        case 0x46: // FLOAT (protocol 0)
          stack.push(textFloat(this.#line('FLOAT')));
          break;
        case 0x8c: {
          // SHORT_BINUNICODE
          const n = bytes[this.#take(1, 'SHORT_BINUNICODE')]!;
          stack.push(this.#utf8(this.#take(n, 'SHORT_BINUNICODE'), n));
          break;
        }
        case 0x58: {
          // BINUNICODE
          const n = view.getUint32(this.#take(4, 'BINUNICODE'), true);
          stack.push(this.#utf8(this.#take(n, 'BINUNICODE'), n));
          break;
        }
        case 0x8d: {
          // BINUNICODE8
          const n = this.#length(this.#take(8, 'BINUNICODE8'), 'BINUNICODE8');
          stack.push(this.#utf8(this.#take(n, 'BINUNICODE8'), n));
          break;
        }
        case 0x56: // UNICODE (protocol 0): raw-unicode-escape
          stack.push(rawUnicodeEscape(this.#lineBytes('UNICODE')));
          break;
        case 0x55: {
          // SHORT_BINSTRING: a Python 2 str, read as ASCII (pickle.loads' default)
          const n = bytes[this.#take(1, 'SHORT_BINSTRING')]!;
          stack.push(ascii(bytes.subarray(this.#take(n, 'SHORT_BINSTRING'), this.#pos)));
          break;
        }
        case 0x54: {
          // BINSTRING
          const n = view.getInt32(this.#take(4, 'BINSTRING'), true);
          if (n < 0) throw new PickleFormatError(`BINSTRING with a negative length at byte ${at}`);
          stack.push(ascii(bytes.subarray(this.#take(n, 'BINSTRING'), this.#pos)));
          break;
        }
        case 0x53: // STRING (protocol 0): a quoted Python 2 str literal
          stack.push(ascii(escapeDecode(this.#line('STRING'))));
          break;
        case 0x43: {
          // SHORT_BINBYTES
          const n = bytes[this.#take(1, 'SHORT_BINBYTES')]!;
          stack.push(this.#copy(this.#take(n, 'SHORT_BINBYTES'), n));
          break;
        }
        case 0x42: {
          // BINBYTES
          const n = view.getUint32(this.#take(4, 'BINBYTES'), true);
          stack.push(this.#copy(this.#take(n, 'BINBYTES'), n));
          break;
        }
        case 0x8e: {
          // BINBYTES8
          const n = this.#length(this.#take(8, 'BINBYTES8'), 'BINBYTES8');
          stack.push(this.#copy(this.#take(n, 'BINBYTES8'), n));
          break;
        }
        case 0x96: {
          // BYTEARRAY8
          const n = this.#length(this.#take(8, 'BYTEARRAY8'), 'BYTEARRAY8');
          stack.push(this.#copy(this.#take(n, 'BYTEARRAY8'), n));
          break;
        }
        case 0x97: // NEXT_BUFFER
          throw new PickleFormatError(
            `NEXT_BUFFER at byte ${at}: out-of-band buffers (protocol 5) are not supported`,
          );
        case 0x98: // READONLY_BUFFER: a no-op on bytes
          if (!(this.#top('READONLY_BUFFER') instanceof Uint8Array)) {
            throw new PickleFormatError(`READONLY_BUFFER on a non-buffer at byte ${at}`);
          }
          break;
        case 0x5d: // EMPTY_LIST
          stack.push(this.#container([]));
          break;
        case 0x6c: // LIST
          stack.push(this.#containerOf(this.#popItems('LIST')));
          break;
        case 0x29: // EMPTY_TUPLE
          stack.push(this.#container(tuple()));
          break;
        case 0x74: // TUPLE
          stack.push(this.#containerOf(asTuple(this.#popItems('TUPLE'))));
          break;
        case 0x85: // TUPLE1
          this.#need(1, 'TUPLE1');
          stack.push(this.#containerOf(tuple(stack.pop())));
          break;
        case 0x86: {
          // TUPLE2
          this.#need(2, 'TUPLE2');
          const b = stack.pop();
          stack.push(this.#containerOf(tuple(stack.pop(), b)));
          break;
        }
        case 0x87: {
          // TUPLE3
          this.#need(3, 'TUPLE3');
          const c = stack.pop();
          const b = stack.pop();
          stack.push(this.#containerOf(tuple(stack.pop(), b, c)));
          break;
        }
        case 0x7d: // EMPTY_DICT
          stack.push(this.#newDict());
          break;
        case 0x64: {
          // DICT
          const items = this.#popItems('DICT');
          if (items.length % 2 !== 0) throw new PickleFormatError(`DICT with an odd item count`);
          stack.push(this.#newDict());
          this.#setItems(stack.length - 1, items, 0, 'DICT');
          break;
        }
        case 0x8f: // EMPTY_SET
          stack.push(this.#container(new Set()));
          break;
        case 0x91: {
          // FROZENSET
          const items = this.#popItems('FROZENSET');
          stack.push(this.#container(toSet(items, 'FROZENSET'), items));
          break;
        }
        case 0x61: {
          // APPEND
          this.#need(2, 'APPEND');
          const value = stack.pop();
          const list = this.#list(stack[stack.length - 1], 'APPEND');
          list.push(value);
          this.#grew(list, this.#heightOf(value));
          break;
        }
        case 0x65: {
          // APPENDS
          const mark = this.#popMark('APPENDS');
          if (mark === 0) throw new PickleFormatError('APPENDS with no list under its MARK');
          const list = this.#list(stack[mark - 1], 'APPENDS');
          for (let i = mark; i < stack.length; i++) list.push(stack[i]);
          this.#grew(list, this.#tallest(stack, mark, 1));
          stack.length = mark;
          break;
        }
        case 0x73: {
          // SETITEM
          this.#need(3, 'SETITEM');
          const items = stack.splice(stack.length - 2, 2);
          this.#setItems(stack.length - 1, items, 0, 'SETITEM');
          break;
        }
        case 0x75: {
          // SETITEMS
          const mark = this.#popMark('SETITEMS');
          if (mark === 0 || (stack.length - mark) % 2 !== 0) {
            throw new PickleFormatError(
              `SETITEMS at byte ${at} without a dict and key-value pairs`,
            );
          }
          this.#setItems(mark - 1, stack, mark, 'SETITEMS');
          stack.length = mark;
          break;
        }
        case 0x90: {
          // ADDITEMS
          const mark = this.#popMark('ADDITEMS');
          const set = stack[mark - 1];
          if (mark === 0 || !(set instanceof Set)) {
            throw new PickleFormatError(`ADDITEMS at byte ${at} without a set under its MARK`);
          }
          for (let i = mark; i < stack.length; i++) addHashable(set, stack[i], 'ADDITEMS');
          this.#grew(set, this.#tallest(stack, mark, 1));
          stack.length = mark;
          break;
        }
        case 0x68: // BINGET
          this.#get(bytes[this.#take(1, 'BINGET')]!, at);
          break;
        case 0x6a: // LONG_BINGET
          this.#get(view.getUint32(this.#take(4, 'LONG_BINGET'), true), at);
          break;
        case 0x67: // GET
          this.#get(this.#lineIndex('GET'), at);
          break;
        case 0x71: // BINPUT
          this.#put(bytes[this.#take(1, 'BINPUT')]!);
          break;
        case 0x72: // LONG_BINPUT
          this.#put(view.getUint32(this.#take(4, 'LONG_BINPUT'), true));
          break;
        case 0x70: // PUT
          this.#put(this.#lineIndex('PUT'));
          break;
        case 0x94: // MEMOIZE: Python memoizes every str and container
          this.#put(this.#memoCount);
          break;
        case 0x63: {
          // GLOBAL: two lines, module and name
          const module = this.#line('GLOBAL');
          this.#global(module, this.#line('GLOBAL'), 'GLOBAL', at);
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          this.#need(2, 'STACK_GLOBAL');
          const name = stack.pop();
          const module = stack.pop();
          if (typeof module !== 'string' || typeof name !== 'string') {
            throw new PickleUnsafeError('STACK_GLOBAL', at);
          }
          this.#global(module, name, 'STACK_GLOBAL', at);
          break;
        }
        case 0x52: {
          // REDUCE: only on one of the allowed builtins
          this.#need(2, 'REDUCE');
          const args = stack.pop();
          const callable = stack[stack.length - 1];
          if (!(callable instanceof Constructor)) throw new PickleUnsafeError('REDUCE', at);
          stack[stack.length - 1] = this.#construct(callable, args, at);
          break;
        }
        default: {
          const unsafe = UNSAFE.get(op);
          if (unsafe !== undefined) throw new PickleUnsafeError(unsafe, at);
          throw new PickleFormatError(
            `unknown opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`,
          );
        }
      }
    }
  }

  /**
   * The hot path of lists and dicts of scalars, as Python writes them: just after a MARK over
   * a list or a dict, whole batches of scalar items (numbers, None, bools, strs, each str
   * maybe memoized) closed by APPENDS / SETITEMS are read straight into the container,
   * without the stack; a list is grown once. It builds exactly what the general path would,
   * and returns `false` having consumed nothing when the bytes after the MARK are not such
   * a whole batch (anything else, or malformed: the general path then reports it).
   */
  #scalarBatches(): boolean {
    const stack = this.#stack;
    const target = stack[stack.length - 1];
    let list: unknown[] | undefined;
    let map: Map<unknown, unknown> | undefined;
    let object: Record<string, unknown> | undefined;
    if (Array.isArray(target)) {
      if (isTuple(target)) return false;
      list = target;
    } else if (target instanceof Map) map = target;
    else if (typeof target === 'object' && target !== null && this.#dicts.has(target)) {
      object = target as Record<string, unknown>;
    } else return false;
    const closer = list === undefined ? 0x75 : 0x65; // SETITEMS : APPENDS
    const bytes = this.#bytes;
    const length = bytes.byteLength;
    // Pass 1: find where the last whole batch ends, touching nothing.
    let pos = this.#pos;
    let end = -1;
    let items = 0;
    let batchItems = 0;
    let memoized = 0; // memo opcodes behind strs, in the whole batches
    let batchMemoized = 0;
    for (;;) {
      if (pos >= length) break;
      const op = bytes[pos]!;
      if (op === closer) {
        if (list === undefined && batchItems % 2 !== 0) break;
        end = ++pos;
        items += batchItems;
        batchItems = 0;
        memoized += batchMemoized;
        batchMemoized = 0;
        if (bytes[pos] !== 0x28) break; // the next batch of the same container?
        pos++;
        continue;
      }
      if (op === 0x95) {
        // FRAME between items
        if (pos + 9 > length || this.#view.getBigUint64(pos + 1, true) > length - pos - 9) break;
        pos += 9;
        continue;
      }
      // A dict key of a plain object must be a str (SHORT_BINUNICODE, BINUNICODE).
      if (object !== undefined && batchItems % 2 === 0 && op !== 0x8c && op !== 0x58) break;
      const size = this.#scalarSize(pos);
      if (size === 0 || pos + size > length) break;
      pos += size;
      if (op === 0x8c || op === 0x58) {
        // A str may be memoized (Python's pickler does it for every str); numbers are not.
        const next = bytes[pos];
        const memoOp = next === 0x94 ? 1 : next === 0x71 ? 2 : next === 0x72 ? 5 : 0;
        if (memoOp !== 0) {
          pos += memoOp;
          batchMemoized++;
        }
      }
      batchItems++;
    }
    if (end < 0) return false;
    // The memo is dense (as picklers write it): room for the batch's memoized strs at once,
    // which each MEMOIZE then fills in turn, rather than growing it by one push each. A slot
    // left unfilled (a PUT to an index already used) stays a hole, read as not memoized.
    const memo = this.#memo;
    if (memoized > 0 && memo.length === this.#memoCount) memo.length += memoized;
    // Pass 2: read them in. Lists get their own loop, so that a list of floats stores
    // unboxed doubles. Only strs are memoized (pass 1 checked): each str is read with the
    // memo opcode behind it, so what is left between items is FRAME, MARK or the closer.
    const view = this.#view;
    pos = this.#pos;
    if (list !== undefined) {
      let i = list.length;
      list.length = i + items;
      while (pos < end) {
        switch (bytes[pos]) {
          case 0x47:
            list[i++] = view.getFloat64(pos + 1, false);
            pos += 9;
            break;
          case 0x4b:
            list[i++] = bytes[pos + 1];
            pos += 2;
            break;
          case 0x4d:
            list[i++] = view.getUint16(pos + 1, true);
            pos += 3;
            break;
          case 0x4a:
            list[i++] = view.getInt32(pos + 1, true);
            pos += 5;
            break;
          case 0x4e:
            list[i++] = null;
            pos += 1;
            break;
          case 0x88:
            list[i++] = true;
            pos += 1;
            break;
          case 0x89:
            list[i++] = false;
            pos += 1;
            break;
          case 0x8c:
          case 0x58:
            list[i++] = this.#memoizedStrAt(pos);
            pos = this.#strEnd;
            break;
          default:
            pos += bytes[pos] === 0x95 ? 9 : 1; // FRAME, or MARK / APPENDS
        }
      }
    } else {
      let key: unknown;
      let isKey = true;
      while (pos < end) {
        let value: unknown;
        switch (bytes[pos]) {
          case 0x47:
            value = view.getFloat64(pos + 1, false);
            pos += 9;
            break;
          case 0x4b:
            value = bytes[pos + 1];
            pos += 2;
            break;
          case 0x4d:
            value = view.getUint16(pos + 1, true);
            pos += 3;
            break;
          case 0x4a:
            value = view.getInt32(pos + 1, true);
            pos += 5;
            break;
          case 0x4e:
            value = null;
            pos += 1;
            break;
          case 0x88:
            value = true;
            pos += 1;
            break;
          case 0x89:
            value = false;
            pos += 1;
            break;
          case 0x8c:
          case 0x58:
            value = this.#memoizedStrAt(pos);
            pos = this.#strEnd;
            break;
          default:
            pos += bytes[pos] === 0x95 ? 9 : 1; // FRAME, or MARK / SETITEMS
            continue;
        }
        if (isKey) key = value;
        else if (map !== undefined) map.set(key, value);
        else if (key === '__proto__') {
          Object.defineProperty(object, key, {
            value,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        } else (object as Record<string, unknown>)[key as string] = value;
        isKey = !isKey;
      }
    }
    this.#pos = end;
    this.#grew(target as object, 0);
    return true;
  }

  /** Where the str opcode read by the last `#strAt` ends. */
  #strEnd = 0;

  /** The SHORT_BINUNICODE / BINUNICODE at `pos` (sets `#strEnd`). */
  #strAt(pos: number): string {
    if (this.#bytes[pos] === 0x8c) {
      const n = this.#bytes[pos + 1]!;
      this.#strEnd = pos + 2 + n;
      return this.#utf8(pos + 2, n);
    }
    const n = this.#view.getUint32(pos + 1, true);
    this.#strEnd = pos + 5 + n;
    return this.#utf8(pos + 5, n);
  }

  /**
   * `#strAt`, and the memo opcode right behind it if there is one (Python's pickler
   * memoizes every str): both read in one step, `#strEnd` past them.
   */
  #memoizedStrAt(pos: number): string {
    const text = this.#strAt(pos);
    const at = this.#strEnd;
    const op = this.#bytes[at];
    if (op === 0x94) {
      // MEMOIZE, what protocol 4 and 5 write: kept small so that it inlines
      this.#memoSet(this.#memoCount, text);
      this.#strEnd = at + 1;
    } else if (op === 0x71 || op === 0x72) this.#strPut(at, text);
    return text;
  }

  /** BINPUT / LONG_BINPUT at `at` of the str `text` (protocols 2 and 3); `#strEnd` past it. */
  #strPut(at: number, text: string): void {
    if (this.#bytes[at] === 0x71) {
      this.#memoSet(this.#bytes[at + 1]!, text);
      this.#strEnd = at + 2;
    } else {
      this.#memoSet(this.#view.getUint32(at + 1, true), text);
      this.#strEnd = at + 5;
    }
  }

  /** Size of the scalar opcode at `pos` with its argument (0: not a scalar opcode). */
  #scalarSize(pos: number): number {
    const bytes = this.#bytes;
    switch (bytes[pos]) {
      case 0x47: // BINFLOAT
        return 9;
      case 0x4b: // BININT1
        return 2;
      case 0x4d: // BININT2
        return 3;
      case 0x4a: // BININT
        return 5;
      case 0x4e: // NONE
      case 0x88: // NEWTRUE
      case 0x89: // NEWFALSE
        return 1;
      case 0x8c: // SHORT_BINUNICODE
        return pos + 1 < bytes.byteLength ? 2 + bytes[pos + 1]! : 0;
      case 0x58: // BINUNICODE
        return pos + 5 <= bytes.byteLength ? 5 + this.#view.getUint32(pos + 1, true) : 0;
      default:
        return 0;
    }
  }

  /** memo[index] = value, counting new entries (MEMOIZE's index is the count). */
  #memoSet(index: number, value: unknown): void {
    const memo = this.#memo;
    if (index === memo.length) {
      memo.push(value);
      this.#memoCount++;
      return;
    }
    if (memo[index] === undefined) this.#memoCount++;
    memo[index] = value;
  }

  /** Claims `n` bytes of argument; returns where they start. */
  #take(n: number, opcode: string): number {
    const start = this.#pos;
    if (n > this.#bytes.byteLength - start) {
      throw new PickleFormatError(
        `it is truncated: ${opcode} at byte ${start - 1} needs ${n} more bytes, ` +
          `${this.#bytes.byteLength - start} are left`,
      );
    }
    this.#pos = start + n;
    return start;
  }

  /** An 8-byte little-endian length, which must fit in what is left of the message. */
  #length(start: number, opcode: string): number {
    const n = this.#view.getBigUint64(start, true);
    const left = this.#bytes.byteLength - this.#pos;
    if (n > BigInt(left)) {
      throw new PickleFormatError(
        `it is truncated: ${opcode} announces ${n} bytes, ${left} are left`,
      );
    }
    return Number(n);
  }

  /** A protocol 0 argument: the bytes up to the next newline. */
  #lineBytes(opcode: string): Uint8Array {
    const bytes = this.#bytes;
    const start = this.#pos;
    const newline = bytes.indexOf(0x0a, start);
    if (newline < 0) throw new PickleFormatError(`it is truncated: ${opcode} has no newline`);
    this.#pos = newline + 1;
    return bytes.subarray(start, newline);
  }

  #line(opcode: string): string {
    return ascii(this.#lineBytes(opcode));
  }

  #lineIndex(opcode: string): number {
    const text = this.#line(opcode);
    if (!/^\d{1,10}$/.test(text)) throw new PickleFormatError(`${opcode} with a bad index`);
    return Number(text);
  }

  #need(count: number, opcode: string): void {
    const marks = this.#marks;
    const floor = marks.length > 0 ? marks[marks.length - 1]! : 0;
    if (this.#stack.length - floor < count) {
      throw new PickleFormatError(`${opcode} at byte ${this.#pos - 1} with too few stack items`);
    }
  }

  #top(opcode: string): unknown {
    this.#need(1, opcode);
    return this.#stack[this.#stack.length - 1];
  }

  #popMark(opcode: string): number {
    const mark = this.#marks.pop();
    if (mark === undefined) throw new PickleFormatError(`${opcode} without a MARK`);
    return mark;
  }

  /** The items above the last MARK, taken off the stack. */
  #popItems(opcode: string): unknown[] {
    const mark = this.#popMark(opcode);
    return this.#stack.splice(mark);
  }

  /** Counts a new container holding `items` already (they set its height). */
  #container<T extends object>(value: T, items?: unknown[]): T {
    if (++this.containers > this.#maxContainers) {
      throw new PickleLimitError('maxContainers', this.#maxContainers, 'received');
    }
    const height = items === undefined ? 1 : this.#tallest(items, 0, 1) + 1;
    if (height > this.#maxDepth) throw new PickleLimitError('maxDepth', this.#maxDepth, 'received');
    this.#heights.set(value, height);
    return value;
  }

  /** A new list or tuple, built from its items. */
  #containerOf(items: unknown[]): unknown[] {
    return this.#container(items, items);
  }

  #heightOf(value: unknown): number {
    if (typeof value !== 'object' || value === null) return 0;
    if (this.#shared.has(value)) {
      // A second reference (a cycle back to an ancestor, a shared child): its height says
      // nothing about this path. The walk at the end measures the graph as it is.
      this.stale = true;
      return 0;
    }
    return this.#heights.get(value) ?? 0;
  }

  /** `parent` took items as tall as `tallest`. */
  #grew(parent: object, tallest: number): void {
    if (this.#shared.has(parent)) this.stale = true; // its parents' heights may be stale
    if (tallest + 1 > (this.#heights.get(parent) ?? 1)) {
      if (tallest + 1 > this.#maxDepth) {
        throw new PickleLimitError('maxDepth', this.#maxDepth, 'received');
      }
      this.#heights.set(parent, tallest + 1);
    }
  }

  #list(target: unknown, opcode: string): unknown[] {
    if (!Array.isArray(target) || isTuple(target)) {
      throw new PickleFormatError(`${opcode} at byte ${this.#pos - 1} on something not a list`);
    }
    return target;
  }

  #newDict(): object {
    const ordinal = this.#dictCount++;
    if (!this.#objectDicts || this.#forceMap?.has(ordinal)) return this.#container(new Map());
    const dict = this.#container({});
    this.#dicts.set(dict, { ordinal, memoIndex: -1 });
    return dict;
  }

  /** Sets `items[from..]` as key-value pairs into the dict at `stack[slot]`. */
  #setItems(slot: number, items: unknown[], from: number, opcode: string): void {
    let dict = this.#stack[slot];
    if (!(dict instanceof Map)) {
      const info = typeof dict === 'object' && dict !== null ? this.#dicts.get(dict) : undefined;
      if (info === undefined) {
        throw new PickleFormatError(`${opcode} at byte ${this.#pos - 1} on something not a dict`);
      }
      const object = dict as Record<string, unknown>;
      let i = from;
      for (; i < items.length; i += 2) {
        const key = items[i];
        if (typeof key !== 'string') break;
        if (key === '__proto__') {
          // An own property, never the prototype.
          Object.defineProperty(object, key, {
            value: items[i + 1],
            writable: true,
            enumerable: true,
            configurable: true,
          });
        } else object[key] = items[i + 1];
      }
      if (i === items.length) {
        this.#grew(object, this.#tallest(items, from + 1, 2));
        return;
      }
      // A key that is not a str: this dict is a Map after all.
      dict = this.#toMap(slot, object, info);
    }
    const map = dict as Map<unknown, unknown>;
    for (let i = from; i < items.length; i += 2) {
      const key = items[i];
      if (!isHashable(key)) {
        if (key instanceof Constructor) throw unusedBuiltin(key);
        throw new PickleFormatError(`${opcode}: an unhashable dict key`);
      }
      map.set(key, items[i + 1]);
    }
    this.#grew(map, this.#tallest(items, from, 1));
  }

  /** The tallest container among `items[from], items[from + step], ...`. */
  #tallest(items: unknown[], from: number, step: number): number {
    let tallest = 0;
    for (let i = from; i < items.length; i += step) {
      tallest = Math.max(tallest, this.#heightOf(items[i]));
    }
    return tallest;
  }

  #toMap(slot: number, object: Record<string, unknown>, info: DictInfo): Map<unknown, unknown> {
    const map = new Map<unknown, unknown>(Object.entries(object));
    this.#stack[slot] = map;
    if (info.memoIndex >= 0 && this.#memo[info.memoIndex] === object) {
      this.#memo[info.memoIndex] = map;
    }
    this.#dicts.delete(object);
    this.#heights.set(map, this.#heights.get(object) ?? 1);
    if (this.#shared.has(object)) {
      this.mapOrdinals ??= new Set(this.#forceMap);
      this.mapOrdinals.add(info.ordinal);
    }
    return map;
  }

  /** Notes a value handed out a second time (memo get, DUP). */
  #escape(value: unknown): unknown {
    if (typeof value === 'object' && value !== null) this.#shared.add(value);
    return value;
  }

  #get(index: number, at: number): void {
    const value = this.#memo[index];
    if (value === undefined) {
      throw new PickleFormatError(`memo key ${index} not found (get at byte ${at})`);
    }
    this.#stack.push(this.#escape(value));
  }

  /** PUT / BINPUT / LONG_BINPUT / MEMOIZE: the stack's top into the memo at `index`. */
  #put(index: number): void {
    const value = this.#top('PUT');
    this.#memoSet(index, value);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const info = this.#dicts.get(value);
      if (info === undefined) return;
      if (info.memoIndex < 0) info.memoIndex = index;
      else this.#shared.add(value); // memoized twice: a second reference
    }
  }

  #global(module: string, name: string, opcode: string, at: number): void {
    const label = `${module}.${name}`;
    const kind = ALLOWED_GLOBALS.get(label);
    if (kind === undefined) throw new PickleUnsafeError(opcode, at, label);
    this.constructors++;
    this.#stack.push(new Constructor(kind, label, opcode, at));
  }

  #construct(callable: Constructor, args: unknown, at: number): unknown {
    if (!isTuple(args))
      throw new PickleFormatError(`REDUCE at byte ${at} without an argument tuple`);
    const [first, second] = args;
    switch (callable.kind) {
      case 'encode': // _codecs.encode(str, 'latin1'): protocol 2's bytes
        if (
          args.length === 2 &&
          typeof first === 'string' &&
          (second === 'latin1' || second === 'latin-1') &&
          // biome-ignore lint/suspicious/noControlCharactersInRegex: the latin-1 range
          /^[\u0000-\u00ff]*$/.test(first)
        ) {
          return Uint8Array.from(first, (char) => char.charCodeAt(0));
        }
        break;
      case 'bytes':
      case 'bytearray':
        if (args.length === 0) return new Uint8Array(0);
        if (args.length === 1 && first instanceof Uint8Array) return first.slice();
        break;
      case 'set':
      case 'frozenset':
        if (args.length === 0) return this.#container(new Set());
        if (args.length === 1 && Array.isArray(first)) {
          return this.#container(toSet(first, callable.label), first);
        }
        break;
    }
    throw new PickleFormatError(
      `REDUCE at byte ${at}: ${callable.label}() with unexpected arguments`,
    );
  }

  /** A little-endian two's complement integer (LONG1 / LONG4). */
  #long(start: number, n: number): number | bigint {
    if (n === 0) return 0;
    const bytes = this.#bytes;
    if (n <= 6) {
      // Fits a double exactly: no bigint.
      let value = 0;
      for (let i = n - 1; i >= 0; i--) value = value * 256 + bytes[start + i]!;
      if (bytes[start + n - 1]! & 0x80) value -= 2 ** (8 * n);
      return value;
    }
    // Big-endian hex for BigInt(): a reversed copy of the bytes, linear in the size.
    const bigEndian = Buffer.from(bytes.subarray(start, start + n)).reverse();
    const value = BigInt(`0x${bigEndian.toString('hex')}`);
    if (bytes[start + n - 1]! & 0x80) return narrow(value - (1n << BigInt(8 * n)));
    return narrow(value);
  }

  #textInt(text: string, bools: boolean): number | bigint | boolean {
    if (bools && text === '00') return false;
    if (bools && text === '01') return true;
    if (!/^[+-]?\d+$/.test(text))
      throw new PickleFormatError(`bad integer text ${JSON.stringify(text)}`);
    return narrow(BigInt(text));
  }

  /** UTF-8 with Python's 'surrogatepass' (how pickle writes lone surrogates). */
  #utf8(start: number, n: number): string {
    const bytes = this.#bytes;
    if (n <= 12) {
      const text = shortAscii(bytes, start, n);
      if (text !== undefined) return text;
    }
    const text = this.#buffer.toString('utf8', start, start + n);
    if (!text.includes('\ufffd')) return text;
    return surrogatePassDecode(bytes.subarray(start, start + n));
  }

  #copy(start: number, n: number): Uint8Array {
    return new Uint8Array(this.#bytes.subarray(start, start + n)); // a copy, never a view
  }
}

/**
 * A short ASCII string (dict keys, names: most strs in a pickle), built with one
 * fixed-arity `String.fromCharCode`: several times cheaper than a call into C++ or a
 * string built char by char. `undefined` when a byte is not ASCII.
 */
function shortAscii(b: Uint8Array, i: number, n: number): string | undefined {
  let or = 0;
  for (let k = i; k < i + n; k++) or |= b[k]!;
  if (or >= 0x80) return undefined;
  const f = String.fromCharCode;
  // biome-ignore format: one case per length reads best as one line each
  switch (n) {
    case 0: return '';
    case 1: return f(b[i]!);
    case 2: return f(b[i]!, b[i + 1]!);
    case 3: return f(b[i]!, b[i + 1]!, b[i + 2]!);
    case 4: return f(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!);
    case 5: return f(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!);
    case 6: return f(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!);
    case 7: return f(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!, b[i + 6]!);
    case 8: return f(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
    case 9: return f(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!, b[i + 8]!);
    case 10: return f(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!, b[i + 8]!, b[i + 9]!);
    case 11: return f(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!, b[i + 8]!, b[i + 9]!, b[i + 10]!);
    default: return f(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!, b[i + 8]!, b[i + 9]!, b[i + 10]!, b[i + 11]!);
  }
}

function narrow(value: bigint): number | bigint {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
}

function toSet(items: unknown[], opcode: string): Set<unknown> {
  const set = new Set<unknown>();
  for (let i = 0; i < items.length; i++) addHashable(set, items[i], opcode);
  return set;
}

function addHashable(set: Set<unknown>, item: unknown, opcode: string): void {
  if (!isHashable(item)) {
    if (item instanceof Constructor) throw unusedBuiltin(item);
    throw new PickleFormatError(`${opcode}: an unhashable set item`);
  }
  set.add(item);
}

/** A builtin named as data but never called: a pickle of the class itself, not of a value. */
function unusedBuiltin(builtin: Constructor): PickleUnsafeError {
  return new PickleUnsafeError(builtin.opcode, builtin.offset, builtin.label);
}

function ascii(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      throw new PickleFormatError(
        "a Python 2 str with non-ASCII bytes (Python 3 reads those with encoding='bytes')",
      );
    }
    text += String.fromCharCode(bytes[i]!);
  }
  return text;
}

/** Python's float(text) for protocol 0's FLOAT. */
function textFloat(text: string): number {
  const lower = text.trim().toLowerCase();
  if (lower === 'nan' || lower === '+nan' || lower === '-nan') return Number.NaN;
  if (/^[+]?inf(inity)?$/.test(lower)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/.test(lower)) return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(lower)) {
    throw new PickleFormatError(`bad float text ${JSON.stringify(text)}`);
  }
  return Number(lower);
}

/** Protocol 0's UNICODE argument: latin-1 bytes with \uXXXX and \UXXXXXXXX escapes. */
function rawUnicodeEscape(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x5c && (bytes[i + 1] === 0x75 || bytes[i + 1] === 0x55)) {
      const digits = bytes[i + 1] === 0x75 ? 4 : 8;
      const hex = String.fromCharCode(...bytes.subarray(i + 2, i + 2 + digits));
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) {
        throw new PickleFormatError('bad \\u escape in UNICODE');
      }
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) throw new PickleFormatError('\\U escape past U+10FFFF in UNICODE');
      text += String.fromCodePoint(code);
      i += 1 + digits;
    } else text += String.fromCharCode(byte);
  }
  return text;
}

const ESCAPES: Record<string, number> = {
  '\\': 0x5c,
  "'": 0x27,
  '"': 0x22,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
};

/** Protocol 0's STRING argument: a quoted literal with Python's backslash escapes. */
function escapeDecode(text: string): Uint8Array {
  const quote = text[0];
  if (text.length < 2 || (quote !== "'" && quote !== '"') || text[text.length - 1] !== quote) {
    throw new PickleFormatError('the STRING opcode argument must be quoted');
  }
  const body = text.slice(1, -1);
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const char = body[i]!;
    if (char !== '\\') {
      out.push(char.charCodeAt(0));
      continue;
    }
    const next = body[++i];
    if (next === undefined) throw new PickleFormatError('a trailing backslash in STRING');
    if (next in ESCAPES) out.push(ESCAPES[next]!);
    else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out.push(Number.parseInt(octal, 8) & 0xff);
      i += octal.length - 1;
    } else if (next !== '\n') out.push(0x5c, next.charCodeAt(0));
  }
  return Uint8Array.from(out);
}

/** UTF-8 where encoded surrogates (ED A0..BF xx) stand for lone UTF-16 surrogates. */
function surrogatePassDecode(bytes: Uint8Array): string {
  let text = '';
  let start = 0;
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] === 0xed && bytes[i + 1]! >= 0xa0 && bytes[i + 1]! <= 0xbf) {
      const third = bytes[i + 2]!;
      if ((third & 0xc0) !== 0x80) break; // not a surrogate after all: the strict decode fails
      text += strict(bytes.subarray(start, i));
      text += String.fromCharCode(0xd000 | ((bytes[i + 1]! & 0x3f) << 6) | (third & 0x3f));
      i += 2;
      start = i + 1;
    }
  }
  return text + strict(bytes.subarray(start));
}

function strict(bytes: Uint8Array): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    throw new PickleFormatError('a str that is not valid UTF-8');
  }
}

/**
 * Past `maxDepth` containers, or when allowed builtins were named: walks the result once,
 * iteratively, computing each container's height (back edges of cycles count zero), and
 * refuses a height over `maxDepth` or a builtin left as a value instead of called.
 */
function checkGraph(root: unknown, maxDepth: number): void {
  const heights = new Map<object, number>();
  const onPath = new Set<object>();
  interface Frame {
    node: object;
    children: object[];
    next: number;
    height: number;
  }
  const frames: Frame[] = [];
  const enter = (node: object): void => {
    if (node instanceof Constructor) throw unusedBuiltin(node);
    onPath.add(node);
    frames.push({ node, children: childContainers(node), next: 0, height: 0 });
  };
  if (typeof root !== 'object' || root === null || root instanceof Uint8Array) return;
  enter(root);
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]!;
    if (frame.next < frame.children.length) {
      const child = frame.children[frame.next++]!;
      const known = heights.get(child);
      if (known !== undefined) frame.height = Math.max(frame.height, known);
      else if (!onPath.has(child)) enter(child);
      continue;
    }
    frames.pop();
    onPath.delete(frame.node);
    const height = frame.height + 1;
    if (height > maxDepth) throw new PickleLimitError('maxDepth', maxDepth, 'received');
    heights.set(frame.node, height);
    const parent = frames[frames.length - 1];
    if (parent !== undefined) parent.height = Math.max(parent.height, height);
  }
}

/** The containers (and leftover builtins) directly inside a decoded container. */
function childContainers(node: object): object[] {
  const out: object[] = [];
  const consider = (value: unknown): void => {
    if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
      out.push(value);
    }
  };
  if (Array.isArray(node)) for (const value of node) consider(value);
  else if (node instanceof Map) {
    for (const [key, value] of node) {
      consider(key);
      consider(value);
    }
  } else if (node instanceof Set) for (const value of node) consider(value);
  else for (const value of Object.values(node)) consider(value);
  return out;
}
