/**
 * NumPy dtypes this package understands: parsing `descr` strings such as `'<f8'`, mapping
 * them to typed arrays and back, and byte-swapping big-endian data in place.
 */
import { endianness } from 'node:os';
import { UnsupportedDtypeError } from './errors.js';

/** NumPy names of the supported element types. */
export type DtypeName =
  | 'bool'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float16'
  | 'float32'
  | 'float64';

/**
 * `Float16Array` where the TypeScript lib in use declares it (`ESNext` or
 * `esnext.float16`), `never` elsewhere: the types compile with or without it.
 */
export type Float16ArrayIfDeclared = typeof globalThis extends {
  /** The global `Float16Array` constructor, where the lib declares one. */
  Float16Array: {
    /** Its instances' type, the result. */
    prototype: infer T;
  };
}
  ? T
  : never;

/**
 * The typed arrays `recvArray` may return and `sendArray` sends; `Float16Array` (Node 24+)
 * where your TypeScript lib declares it.
 */
export type NumericArray =
  | Float16ArrayIfDeclared
  | Uint8Array
  | Int8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

type ArrayConstructor = new (
  buffer: ArrayBuffer,
  byteOffset: number,
  length: number,
) => NumericArray;

/** Node's `Float16Array` (Node 24 and later), when present. */
const Float16 = (globalThis as { Float16Array?: ArrayConstructor }).Float16Array;

interface DtypeInfo {
  name: DtypeName;
  /** NumPy kind character and item size, as in `descr`. */
  code: string;
  itemSize: number;
  ctor: ArrayConstructor;
}

const TABLE: DtypeInfo[] = [
  { name: 'bool', code: 'b1', itemSize: 1, ctor: Uint8Array },
  { name: 'int8', code: 'i1', itemSize: 1, ctor: Int8Array },
  { name: 'uint8', code: 'u1', itemSize: 1, ctor: Uint8Array },
  { name: 'int16', code: 'i2', itemSize: 2, ctor: Int16Array },
  { name: 'uint16', code: 'u2', itemSize: 2, ctor: Uint16Array },
  { name: 'int32', code: 'i4', itemSize: 4, ctor: Int32Array },
  { name: 'uint32', code: 'u4', itemSize: 4, ctor: Uint32Array },
  { name: 'int64', code: 'i8', itemSize: 8, ctor: BigInt64Array },
  { name: 'uint64', code: 'u8', itemSize: 8, ctor: BigUint64Array },
  // Without Float16Array the raw half-precision bits come back in a Uint16Array.
  { name: 'float16', code: 'f2', itemSize: 2, ctor: Float16 ?? Uint16Array },
  { name: 'float32', code: 'f4', itemSize: 4, ctor: Float32Array },
  { name: 'float64', code: 'f8', itemSize: 8, ctor: Float64Array },
];

const BY_CODE = new Map(TABLE.map((info) => [info.code, info]));
const BY_NAME = new Map(TABLE.map((info) => [info.name, info]));
const NATIVE_LITTLE = endianness() === 'LE';

/** A parsed `descr`: the element type and whether its bytes are little-endian on the wire. */
export interface Dtype {
  info: DtypeInfo;
  littleEndian: boolean;
}

/** Parses a NumPy `descr` string (`'<f8'`, `'>i4'`, `'|u1'`, `'|b1'`). */
export function parseDescr(descr: string): Dtype {
  const order = descr[0];
  const info = BY_CODE.get(descr.slice(1));
  if (info === undefined || (order !== '<' && order !== '>' && order !== '|' && order !== '=')) {
    const detail = /^[<>|=]?[OVSUaMm]/.test(descr)
      ? 'object, string, void and datetime arrays cannot be sent as raw bytes'
      : 'not a little- or big-endian integer, float or bool type';
    throw new UnsupportedDtypeError(descr, detail);
  }
  if (order === '|' && info.itemSize !== 1) {
    throw new UnsupportedDtypeError(descr, "'|' (no byte order) is only valid for 1-byte types");
  }
  const littleEndian = order === '<' || (order !== '>' && NATIVE_LITTLE) || info.itemSize === 1;
  return { info, littleEndian };
}

/** The `descr` and element type to send for a typed array (`dtype` overrides, e.g. `'bool'`). */
export function dtypeOfView(
  view: ArrayBufferView,
  dtype: DtypeName | undefined,
): DtypeInfo & { descr: string } {
  let info: DtypeInfo | undefined;
  if (dtype !== undefined) {
    info = BY_NAME.get(dtype);
    if (info === undefined) throw new UnsupportedDtypeError(String(dtype), 'unknown dtype name');
    const bytesPerElement = (view as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT;
    if (bytesPerElement !== info.itemSize) {
      throw new UnsupportedDtypeError(
        dtype,
        `a ${view.constructor.name} has ${bytesPerElement ?? 'no'}-byte elements, ${dtype} needs ${info.itemSize}`,
      );
    }
  } else {
    info = TABLE.find((entry) => entry.name !== 'bool' && view instanceof entry.ctor);
    if (info === undefined && view instanceof Uint8ClampedArray) info = BY_NAME.get('uint8');
    if (info === undefined) {
      throw new UnsupportedDtypeError(
        view.constructor.name,
        'only typed arrays map to a NumPy dtype (wrap a DataView as a Uint8Array, or use sendBuffer)',
      );
    }
  }
  const order = info.itemSize === 1 ? '|' : NATIVE_LITTLE ? '<' : '>';
  return { ...info, descr: `${order}${info.code}` };
}

/** Reverses the bytes of every `itemSize`-byte element of `bytes`, in place. */
export function swapInPlace(bytes: Uint8Array, itemSize: number): void {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (itemSize === 2) buffer.swap16();
  else if (itemSize === 4) buffer.swap32();
  else if (itemSize === 8) buffer.swap64();
}

/** True when data in this byte order must be swapped to be read natively. */
export function needsSwap(dtype: Dtype): boolean {
  return dtype.info.itemSize > 1 && dtype.littleEndian !== NATIVE_LITTLE;
}
