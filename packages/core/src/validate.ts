/**
 * Option validators shared by every package, so the same option is checked the same way
 * everywhere: `undefined` always means "the default", timer delays are capped at Node's
 * ceiling, and every refusal is an `ERR_INVALID_ARGUMENT` naming the option and the value.
 */
import { InvalidArgumentError } from './errors.js';

/**
 * The longest delay Node's timers honour (2³¹−1 ms, about 24.8 days): a longer one is
 * silently turned into 1 ms, so a "very long" timeout would fire at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Checks a duration in milliseconds: finite, from 0 (none) to {@link MAX_TIMER_MS}. */
export function checkMs(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(
      `${name} must be a number of milliseconds >= 0 (0 = none), got ${describeValue(value)}`,
    );
  }
  if (value > MAX_TIMER_MS) {
    throw new InvalidArgumentError(
      `${name} of ${value} ms is over Node's timer limit of ${MAX_TIMER_MS} ms (about 24.8 days), ` +
        'which Node would turn into 1 ms; use 0 for "no timeout" or a smaller value',
    );
  }
}

/** Checks a whole count of at least `min` (0 by default). */
export function checkCount(name: string, value: unknown, min = 0): asserts value is number {
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw new InvalidArgumentError(
      `${name} must be an integer >= ${min}, got ${describeValue(value)}`,
    );
  }
}

/** Checks a size in bytes: a whole number of at least `min` (0 by default). */
export function checkByteSize(name: string, value: unknown, min = 0): asserts value is number {
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw new InvalidArgumentError(
      `${name} must be a whole number of bytes >= ${min}, got ${describeValue(value)}`,
    );
  }
}

/** Checks a boolean flag. */
export function checkBoolean(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError(`${name} must be true or false, got ${describeValue(value)}`);
  }
}

/** Checks an optional callback: a function or `undefined`. */
export function checkOptionalFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidArgumentError(`${name} must be a function, got ${describeValue(value)}`);
  }
}

/** Checks an optional `AbortSignal`. */
export function checkSignal(
  name: string,
  value: unknown,
): asserts value is AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new InvalidArgumentError(`${name} must be an AbortSignal, got ${describeValue(value)}`);
  }
}

/**
 * Merges `options` over `defaults`, where an option set to `undefined` takes its default
 * (as if it were left out). Throws `ERR_INVALID_ARGUMENT` when `options` is not an object.
 */
export function withDefaults<D extends object, O extends object>(
  defaults: D,
  options: O | undefined,
  what = 'options',
): D & Defined<O> {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  if (options === undefined) return merged as D & Defined<O>;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`${what} must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged as D & Defined<O>;
}

/** The options of `O` with `undefined` taken out (what {@link withDefaults} leaves). */
export type Defined<O> = { [K in keyof O]-?: Exclude<O[K], undefined> };

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (value !== null && typeof value === 'object')
    return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
