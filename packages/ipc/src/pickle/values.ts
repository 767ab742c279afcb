/**
 * What the pickle codec's two halves share: the tuple mark, the options and their defaults,
 * and Python's hashability rule (set items and dict keys).
 */
import { checkCount, InvalidArgumentError, withDefaults } from '@net/core';

/**
 * Arrays that stand for Python tuples. A WeakSet, not a property: a tuple stays an ordinary
 * array to JS code (JSON, spreading, `Array.isArray`), and the mark dies with the array.
 */
const tuples = new WeakSet<readonly unknown[]>();

/**
 * Marks `items` (an array, returned as is) as a Python tuple: the pickle codec sends it as a
 * `tuple`, not a `list`. Tuples can be set items and `Map` keys; lists cannot (Python's
 * rule: they are unhashable). Arrays decoded from a tuple are marked already.
 */
export function asTuple<T extends unknown[]>(items: T): T {
  if (!Array.isArray(items)) {
    throw new InvalidArgumentError('asTuple() takes an array');
  }
  tuples.add(items);
  return items;
}

/** `tuple(a, b, ...)`: a new array marked as a Python tuple (see {@link asTuple}). */
export function tuple<T extends unknown[]>(...items: T): T {
  tuples.add(items);
  return items;
}

/** Whether `value` is an array marked as a Python tuple. */
export function isTuple(value: unknown): value is unknown[] {
  return Array.isArray(value) && tuples.has(value);
}

/** Options of the pickle codec (`codec: 'pickle'`), each with its default in {@link PICKLE_DEFAULTS}. */
export interface PickleOptions {
  /**
   * What a Python `dict` decodes to: `'map'`, always a `Map`, or `'object'`, a plain object
   * when every key is a `str` (else a `Map`). Both encode back to a `dict`.
   */
  dicts?: 'object' | 'map' | undefined;
  /** Most containers nested inside one another, decoding and encoding. */
  maxDepth?: number | undefined;
  /** Most containers (list, tuple, dict, set) one decoded message may hold. */
  maxContainers?: number | undefined;
}

/** Defaults of every {@link PickleOptions} field. */
export const PICKLE_DEFAULTS = {
  /** Every dict a `Map`: any key, order kept, the same type whatever the keys. */
  dicts: 'map' as 'object' | 'map',
  /** 1000 levels: Python's own recursion limit, so Python could have written it. */
  maxDepth: 1000,
  /** 2²⁰ containers: a hostile message of empty containers stays within ~200 MB of heap. */
  maxContainers: 1_048_576,
} as const satisfies Required<PickleOptions>;

export type ResolvedPickleOptions = {
  dicts: 'object' | 'map';
  maxDepth: number;
  maxContainers: number;
};

/** Applies {@link PICKLE_DEFAULTS} (`undefined` = the default) and checks the values. */
export function resolvePickleOptions(options: PickleOptions | undefined): ResolvedPickleOptions {
  const merged = withDefaults(PICKLE_DEFAULTS, options, 'pickle options');
  if (merged.dicts !== 'object' && merged.dicts !== 'map') {
    throw new InvalidArgumentError(
      `pickle.dicts must be 'object' or 'map', got ${JSON.stringify(merged.dicts)}`,
    );
  }
  checkCount('pickle.maxDepth', merged.maxDepth, 1);
  checkCount('pickle.maxContainers', merged.maxContainers, 1);
  return { dicts: merged.dicts, maxDepth: merged.maxDepth, maxContainers: merged.maxContainers };
}

/**
 * Python's rule for set items and dict keys: immutable values only. `None`, `bool`, `int`,
 * `float`, `str`, `bytes` (a `Uint8Array`) and tuples of those; never a list, dict or set.
 * Iterative: a tuple nested a million deep must not overflow the JS stack.
 */
export function isHashable(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) {
    return typeof value !== 'function' && typeof value !== 'symbol';
  }
  if (value instanceof Uint8Array) return true;
  if (!isTuple(value)) return false;
  const pending: unknown[] = [value];
  const seen = new Set<unknown>(); // a tuple that holds itself (JS can build one) ends the walk
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item !== 'object' || item === null) {
      if (typeof item === 'function' || typeof item === 'symbol') return false;
      continue;
    }
    if (item instanceof Uint8Array) continue;
    if (!isTuple(item)) return false;
    if (seen.has(item)) continue;
    seen.add(item);
    for (let i = 0; i < item.length; i++) pending.push(item[i]);
  }
  return true;
}
