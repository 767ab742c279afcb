import { describe, expect, it } from 'vitest';
import {
  checkBoolean,
  checkByteSize,
  checkCount,
  checkMs,
  checkOptionalFunction,
  checkSignal,
  InvalidArgumentError,
  MAX_TIMER_MS,
  NetError,
  withDefaults,
} from '../src/index.js';

/** The error `fn` throws, failing if it throws none. */
function thrown(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (error) {
    return error as InvalidArgumentError;
  }
  throw new Error('expected a throw');
}

describe('checkMs', () => {
  it('MAX_TIMER_MS is Node’s timer ceiling, 2^31 - 1', () => {
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
  });

  it.each([0, 1, 0.5, 2_147_483_647])('accepts %s', (value) => {
    expect(() => checkMs('timeout', value)).not.toThrow();
  });

  it.each([
    ['2^31 (one over the ceiling)', 2_147_483_648],
    ['-1', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['the string "5"', '5'],
    ['undefined', undefined],
    ['null', null],
  ])('refuses %s with ERR_INVALID_ARGUMENT naming the option', (_, value) => {
    const error = thrown(() => checkMs('idleTimeout', value));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toBeInstanceOf(NetError);
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toContain('idleTimeout');
  });
});

describe('checkCount and checkByteSize', () => {
  it.each([
    ['checkCount', checkCount],
    ['checkByteSize', checkByteSize],
  ] as const)('%s accepts exactly min and refuses min - 1', (_, check) => {
    expect(() => check('n', 0)).not.toThrow();
    expect(thrown(() => check('n', -1)).code).toBe('ERR_INVALID_ARGUMENT');
    expect(() => check('n', 16, 16)).not.toThrow();
    const below = thrown(() => check('maxThings', 15, 16));
    expect(below.code).toBe('ERR_INVALID_ARGUMENT');
    expect(below.message).toContain('maxThings');
    expect(() => check('n', Number.MAX_SAFE_INTEGER)).not.toThrow();
  });

  it.each([
    ['checkCount', checkCount],
    ['checkByteSize', checkByteSize],
  ] as const)('%s refuses fractions, unsafe integers, non-numbers and undefined', (_, check) => {
    for (const value of [1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Infinity, '3', undefined]) {
      expect(thrown(() => check('n', value)).code).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('checkBoolean, checkOptionalFunction, checkSignal', () => {
  it('accept what they describe', () => {
    expect(() => checkBoolean('flag', false)).not.toThrow();
    expect(() => checkOptionalFunction('onError', undefined)).not.toThrow();
    expect(() => checkOptionalFunction('onError', () => undefined)).not.toThrow();
    expect(() => checkSignal('signal', undefined)).not.toThrow();
    expect(() => checkSignal('signal', new AbortController().signal)).not.toThrow();
  });

  it('refuse anything else with ERR_INVALID_ARGUMENT naming the option', () => {
    for (const [fn, name] of [
      [() => checkBoolean('noDelay', 1), 'noDelay'],
      [() => checkBoolean('noDelay', undefined), 'noDelay'],
      [() => checkOptionalFunction('onError', 'log'), 'onError'],
      [() => checkSignal('signal', { aborted: false }), 'signal'],
    ] as const) {
      const error = thrown(fn);
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
      expect(error.message).toContain(name);
    }
  });
});

describe('withDefaults', () => {
  const DEFAULTS = { timeout: 1_000, retries: 3 } as const;

  it('undefined options, and options set to undefined, take the defaults', () => {
    expect(withDefaults(DEFAULTS, undefined)).toEqual({ timeout: 1_000, retries: 3 });
    expect(withDefaults(DEFAULTS, { timeout: undefined, retries: 0 })).toEqual({
      timeout: 1_000,
      retries: 0,
    });
  });

  it('keeps falsy values that are not undefined (0, false, null fields)', () => {
    const merged = withDefaults(
      { a: 1, b: true, c: 'x' as string | null },
      {
        a: 0,
        b: false,
        c: null,
      },
    );
    expect(merged).toEqual({ a: 0, b: false, c: null });
  });

  it('returns a new object and does not touch the defaults', () => {
    const merged = withDefaults(DEFAULTS, { timeout: 5 });
    expect(merged).not.toBe(DEFAULTS);
    expect(DEFAULTS.timeout).toBe(1_000);
  });

  it.each([
    ['null', null],
    ['a number', 5],
    ['a string', 'fast'],
    ['an array', [1, 2]],
  ])('refuses %s as the options object, naming it', (_, options) => {
    const error = thrown(() => withDefaults(DEFAULTS, options as never, 'serverOptions'));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toContain('serverOptions');
  });
});
