// A corpus written by Python 3.11 and 3.12 (pickle_corpus.py dump: every case in protocols 0
// to 5 and as conn.send() writes it), decoded here, re-encoded here and read back by the same
// Python (pickle_corpus.py check), which compares with the original value strictly.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodePickle, encodePickle, isTuple } from '../../src/index.js';
import { python } from '../helpers.js';

const CORPUS = fileURLToPath(new URL('./pickle_corpus.py', import.meta.url));
const MiB = 1024 * 1024;

/** One line of `dump`: pickle.dumps(value, protocol), or conn.send()'s bytes ("mp"). */
interface Entry {
  name: string;
  protocol: number | 'mp';
  hex: string;
}

/** One line for `check`: our re-encoding of what we decoded from an Entry. */
interface Reencoded {
  name: string;
  protocol: string;
  hex: string;
}

const dumps = new Map<string, Entry[]>();

/** The corpus as `interpreter` writes it (run once per interpreter). */
function corpus(interpreter: string): Entry[] {
  let entries = dumps.get(interpreter);
  if (entries === undefined) {
    const out = execFileSync(interpreter, [CORPUS, 'dump'], {
      encoding: 'utf8',
      timeout: 30_000,
      maxBuffer: 256 * MiB,
    });
    entries = out
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Entry);
    dumps.set(interpreter, entries);
  }
  return entries;
}

/** Feeds every re-encoding to one `check` run: its exit code and its lines. */
function check(interpreter: string, sent: Reencoded[]): { status: number | null; lines: string[] } {
  const result = spawnSync(interpreter, [CORPUS, 'check'], {
    input: `${sent.map((entry) => JSON.stringify(entry)).join('\n')}\n`,
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 256 * MiB,
  });
  if (result.error) throw result.error;
  const lines = result.stdout.split('\n').filter((line) => line.length > 0);
  if (result.stderr) lines.push(`STDERR ${result.stderr}`);
  return { status: result.status, lines };
}

const label = (entry: Entry): string => `${entry.name} ${entry.protocol}`;
const bytesOf = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const hexOf = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

const ints = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A decoded `bytes`: a plain Uint8Array (not a Buffer) holding exactly `expected`. */
function expectBytes(value: unknown, expected: Uint8Array): void {
  expect(value).toBeInstanceOf(Uint8Array);
  expect(Object.getPrototypeOf(value)).toBe(Uint8Array.prototype);
  const bytes = value as Uint8Array;
  expect(bytes.byteLength).toBe(expected.byteLength);
  expect(Buffer.compare(bytes, expected)).toBe(0);
}

function expectPlain(value: unknown): asserts value is Record<string, unknown> {
  expect(value).not.toBeInstanceOf(Map);
  expect(typeof value).toBe('object');
  expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
}

function expectMap(value: unknown): asserts value is Map<unknown, unknown> {
  expect(value).toBeInstanceOf(Map);
}

function expectList(value: unknown): asserts value is unknown[] {
  expect(Array.isArray(value)).toBe(true);
  expect(isTuple(value)).toBe(false);
}

function expectTuple(value: unknown): asserts value is unknown[] {
  expect(isTuple(value)).toBe(true);
}

const FLOATS: Record<string, number> = {
  'float:0.0': 0,
  'float:-0.0': -0,
  'float:1.5': 1.5,
  'float:2.0': 2,
  'float:nan': Number.NaN,
  'float:inf': Number.POSITIVE_INFINITY,
  'float:-inf': Number.NEGATIVE_INFINITY,
  'float:1e308': 1e308,
  'float:5e-324': 5e-324,
};

const STRINGS: Record<string, string> = {
  'str:empty': '',
  'str:ascii': 'ascii',
  'str:e-acute': 'é',
  'str:cjk': '中文',
  'str:non-bmp': '\u{1F600} and \u{10348}',
  'str:lone-surrogate': '\ud800',
  'str:mixed-surrogates': 'a\udc00b\ud800c\ufffd\u{1F600}',
  'str:escapes': 'back\\slash\nnew line\r\x00 "dq" \'sq\' \x7f\x80\xff',
  'str:long': Array.from({ length: 100_000 }, (_, i) =>
    String.fromCharCode(0x20 + (i % 0x5f)),
  ).join(''),
  'str:long-non-ascii': 'é中\u{1F600}'.repeat(20_000),
  'recipe:hello': 'hello',
};

const BIG: Record<string, bigint> = {
  'int:10**400': 10n ** 400n,
  'int:-10**400': -(10n ** 400n),
  'int:10**1000': 10n ** 1000n,
  'int:-10**1000': -(10n ** 1000n),
};

/** The JS value each case decodes to with dicts: 'object' (asked for, not the default). */
const EXPECTED: Record<string, (value: unknown) => void> = {
  none: (v) => expect(v).toBeNull(),
  'bool:true': (v) => expect(v).toBe(true),
  'bool:false': (v) => expect(v).toBe(false),
  'recipe:42': (v) => expect(v).toBe(42),
  'bytes:empty': (v) => expectBytes(v, new Uint8Array(0)),
  'bytes:00ff': (v) => expectBytes(v, Uint8Array.of(0x00, 0xff)),
  'bytes:long': (v) =>
    expectBytes(
      v,
      Uint8Array.from({ length: 256_000 }, (_, i) => i & 0xff),
    ),
  'bytearray:xy': (v) => expectBytes(v, Uint8Array.of(0x78, 0x79)),
  'bytearray:empty': (v) => expectBytes(v, new Uint8Array(0)),
  'list:empty': (v) => {
    expectList(v);
    expect(v).toEqual([]);
  },
  'list:mixed': (v) => {
    expectList(v);
    expect(v).toStrictEqual([1, 'a', null]);
  },
  'list:2500-ints': (v) => {
    expectList(v);
    expect(v).toStrictEqual(ints(2500));
  },
  'recipe:list': (v) => {
    expectList(v);
    expect(v).toStrictEqual([1, 2, 3, 4, 5]);
  },
  'tuple:0': (v) => {
    expectTuple(v);
    expect(v).toEqual([]);
  },
  'tuple:1': (v) => {
    expectTuple(v);
    expect(v).toEqual([1]);
  },
  'tuple:2': (v) => {
    expectTuple(v);
    expect(v).toEqual([1, 2]);
  },
  'tuple:3': (v) => {
    expectTuple(v);
    expect(v).toEqual([1, 2, 3]);
  },
  'tuple:4': (v) => {
    expectTuple(v);
    expect(v).toEqual([1, 2, 3, 4]);
  },
  'tuple:nested': (v) => {
    // ((1,), ((2,),))
    expectTuple(v);
    expect(v).toEqual([[1], [[2]]]);
    expectTuple(v[0]);
    expectTuple(v[1]);
    expectTuple((v[1] as unknown[])[0]);
  },
  'dict:empty': (v) => {
    expectPlain(v);
    expect(Object.keys(v)).toEqual([]);
  },
  'dict:str-keys': (v) => {
    expectPlain(v);
    expect(v).toStrictEqual({ a: 1, b: [1, 2] });
    expectList(v.b);
  },
  'dict:mixed-keys': (v) => {
    // {1: 'one', (1, 2): 'pair', None: 0, 2.5: 'f'}
    expectMap(v);
    expect(v.size).toBe(4);
    expect(v.get(1)).toBe('one');
    expect(v.get(null)).toBe(0);
    expect(v.get(2.5)).toBe('f');
    const pair = [...v.keys()].find((key) => Array.isArray(key));
    expectTuple(pair);
    expect(pair).toEqual([1, 2]);
    expect(v.get(pair)).toBe('pair');
  },
  'dict:2000-str-keys': (v) => {
    expectPlain(v);
    expect(Object.keys(v)).toHaveLength(2000);
    expect(v.k0).toBe(0);
    expect(v.k1000).toBe(1000);
    expect(v.k1999).toBe(1999);
  },
  'dict:str-then-int-key': (v) => {
    expectMap(v);
    expect([...v]).toEqual([
      ['a', 1],
      [2, 'b'],
    ]);
  },
  'dict:bool-keys': (v) => {
    // {True: 'yes', 0: 'zero'}: True stays a boolean key, 0 a number key
    expectMap(v);
    expect(v.size).toBe(2);
    expect(v.get(true)).toBe('yes');
    expect(v.get(0)).toBe('zero');
  },
  'dict:proto-keys': (v) => {
    expectPlain(v);
    expect(Object.keys(v).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toBe(1);
    expect(Object.getOwnPropertyDescriptor(v, 'constructor')?.value).toBe(2);
    expect(Object.getOwnPropertyDescriptor(v, 'toString')?.value).toBe(3);
  },
  'dict:int-like-str-keys': (v) => {
    expectPlain(v);
    expect(v).toStrictEqual({ b: 1, '10': 2, '2': 3 });
  },
  'set:empty': (v) => {
    expect(v).toBeInstanceOf(Set);
    expect((v as Set<unknown>).size).toBe(0);
  },
  'frozenset:empty': (v) => {
    expect(v).toBeInstanceOf(Set);
    expect((v as Set<unknown>).size).toBe(0);
  },
  'set:123': (v) => expect(v).toStrictEqual(new Set([1, 2, 3])),
  'set:1500-ints': (v) => expect(v).toStrictEqual(new Set(ints(1500))),
  'frozenset:mixed': (v) => {
    // frozenset({'a', (1, 2)})
    expect(v).toBeInstanceOf(Set);
    const set = v as Set<unknown>;
    expect(set.size).toBe(2);
    expect(set.has('a')).toBe(true);
    const pair = [...set].find((item) => Array.isArray(item));
    expectTuple(pair);
    expect(pair).toEqual([1, 2]);
  },
  'nest:list-500': (v) => {
    let level = v;
    for (let i = 0; i < 500; i++) {
      expectList(level);
      expect(level).toHaveLength(1);
      level = level[0];
    }
    expectList(level);
    expect(level).toHaveLength(0);
  },
  'nest:dict-300': (v) => {
    let level = v;
    for (let i = 0; i < 300; i++) {
      expectPlain(level);
      expect(Object.keys(level)).toEqual(['d']);
      level = level.d;
    }
    expectPlain(level);
    expect(Object.keys(level)).toHaveLength(0);
  },
  'nest:tuple-500': (v) => {
    let level = v;
    for (let i = 0; i < 500; i++) {
      expectTuple(level);
      expect(level).toHaveLength(1);
      level = level[0];
    }
    expectTuple(level);
    expect(level).toHaveLength(0);
  },
  'shared:list': (v) => {
    // x = [1, 2]; [x, x, {'k': x}]
    expectList(v);
    expect(v).toHaveLength(3);
    expect(v[0]).toStrictEqual([1, 2]);
    expect(v[1]).toBe(v[0]);
    expectPlain(v[2]);
    expect(v[2].k).toBe(v[0]);
  },
  'shared:late': (v) => {
    // [[0], [1], ..., [299], x, x]: the memo indexes of x are past 255
    expectList(v);
    expect(v).toHaveLength(302);
    expect(v[299]).toStrictEqual([299]);
    expect(v[0]).not.toBe(v[1]);
    expect(v[300]).toStrictEqual([3]);
    expect(v[301]).toBe(v[300]);
  },
  'shared:tuple': (v) => {
    // t = (1, [2]); [t, t]
    expectList(v);
    expectTuple(v[0]);
    expect(v[1]).toBe(v[0]);
    expectList(v[0][1]);
    expect(v[0][1]).toEqual([2]);
  },
  'recursive:list': (v) => {
    expectList(v);
    expect(v).toHaveLength(1);
    expect(v[0]).toBe(v);
  },
  'recursive:dict': (v) => {
    expectPlain(v);
    expect(Object.keys(v)).toEqual(['self']);
    expect(v.self).toBe(v);
  },
  'recursive:dict-int-key': (v) => {
    // d = {1: None}; d[2] = d
    expectMap(v);
    expect(v.size).toBe(2);
    expect(v.get(1)).toBeNull();
    expect(v.get(2)).toBe(v);
  },
  'recursive:dict-str-then-int-key': (v) => {
    // d = {'a': None}; d['self'] = d; d[1] = 'x'
    expectMap(v);
    expect(v.size).toBe(3);
    expect(v.get('a')).toBeNull();
    expect(v.get('self')).toBe(v);
    expect(v.get(1)).toBe('x');
  },
  'recursive:tuple-list': (v) => {
    // l = []; t = (l,); l.append(t); the value is t
    expectTuple(v);
    expect(v).toHaveLength(1);
    const list = v[0];
    expectList(list);
    expect(list).toHaveLength(1);
    expect(list[0]).toBe(v);
  },
  'recursive:list-tuple': (v) => {
    // the same; the value is l
    expectList(v);
    expect(v).toHaveLength(1);
    const t = v[0];
    expectTuple(t);
    expect(t).toHaveLength(1);
    expect(t[0]).toBe(v);
  },
  'recursive:tuple-dict-int-key': (v) => {
    // d = {}; t = (d,); d[1] = t; the value is t
    expectTuple(v);
    expectMap(v[0]);
    expect(v[0].size).toBe(1);
    expect(v[0].get(1)).toBe(v);
  },
  'recursive:list-self-1000': (v) => {
    // l = []; l.append(l) 1000 times: protocol 0 writes 1000 APPENDs
    expectList(v);
    expect(v).toHaveLength(1000);
    expect(v.every((item) => item === v)).toBe(true);
  },
  'recursive:dict-self-1000': (v) => {
    // d = {}; d[i] = d for i in range(1000): protocol 0 writes 1000 SETITEMs
    expectMap(v);
    expect(v.size).toBe(1000);
    expect([...v.keys()]).toEqual(ints(1000));
    expect([...v.values()].every((item) => item === v)).toBe(true);
  },
};

/** The assertions for the case `name` (dicts: 'object'); undefined for an unknown case. */
function expectation(name: string): ((value: unknown) => void) | undefined {
  const own = EXPECTED[name];
  if (own !== undefined) return own;
  if (name in FLOATS) {
    const expected = FLOATS[name]!;
    return (v) => {
      expect(typeof v).toBe('number');
      expect(
        Object.is(v, expected),
        `${String(v)} is not ${Object.is(expected, -0) ? '-0' : expected}`,
      ).toBe(true);
    };
  }
  if (name in STRINGS) {
    const expected = STRINGS[name]!;
    return (v) => {
      expect(typeof v).toBe('string');
      const text = v as string;
      expect(text.length).toBe(expected.length);
      expect(text === expected, `${name} differs`).toBe(true);
      if (name === 'str:non-bmp') {
        // '\U0001F600 and \U00010348': each a surrogate pair, one code point
        expect(text.codePointAt(0)).toBe(0x1f600);
        expect([text.charCodeAt(0), text.charCodeAt(1)]).toEqual([0xd83d, 0xde00]);
        expect(text.codePointAt(7)).toBe(0x10348);
        expect([text.charCodeAt(7), text.charCodeAt(8)]).toEqual([0xd800, 0xdf48]);
        expect(text).toHaveLength(9);
      }
      if (name === 'str:lone-surrogate') {
        expect(text).toHaveLength(1);
        expect(text.charCodeAt(0)).toBe(0xd800);
      }
    };
  }
  if (name in BIG) {
    const expected = BIG[name]!;
    return (v) => {
      expect(typeof v).toBe('bigint');
      expect(v === expected, `${name}: got ${String(v).slice(0, 40)}...`).toBe(true);
    };
  }
  const int = /^int:(-?\d+)$/.exec(name);
  if (int !== null) {
    // A safe integer decodes to a number, anything past ±(2**53 - 1) to a bigint.
    const exact = BigInt(int[1]!);
    const safe =
      exact >= BigInt(Number.MIN_SAFE_INTEGER) && exact <= BigInt(Number.MAX_SAFE_INTEGER);
    return (v) => {
      expect(typeof v).toBe(safe ? 'number' : 'bigint');
      expect(v).toBe(safe ? Number(exact) : exact);
    };
  }
  return undefined;
}

/** With dicts: 'map', every dict in the value is a Map (iterative, cycles end the walk). */
function expectNoPlainObjects(root: unknown): void {
  const seen = new Set<object>();
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null || value instanceof Uint8Array) continue;
    if (seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) for (const item of value) pending.push(item);
    else if (value instanceof Map) for (const [key, item] of value) pending.push(key, item);
    else if (value instanceof Set) for (const item of value) pending.push(item);
    else throw new Error(`a plain object where dicts: 'map' promises a Map`);
  }
}

/** Runs `assert`, returning its failure as one line (so every case is reported, not the first). */
function failure(what: string, assert: () => void): string[] {
  try {
    assert();
    return [];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    return [`${what}: ${typeof code === 'string' ? `${code} ` : ''}${message.split('\n')[0]}`];
  }
}

/** Decodes every entry with `dicts`, re-encodes it; what failed on our side, and the lot. */
function roundTrip(
  entries: Entry[],
  dicts: 'object' | 'map',
): { problems: string[]; sent: Reencoded[] } {
  const problems: string[] = [];
  const sent: Reencoded[] = [];
  for (const entry of entries) {
    let decoded: unknown;
    const decodeFailed = failure(`DECODE ${label(entry)}`, () => {
      decoded = decodePickle(bytesOf(entry.hex), { dicts });
    });
    if (decodeFailed.length > 0) {
      problems.push(...decodeFailed);
      continue;
    }
    let encoded: Uint8Array | undefined;
    problems.push(
      ...failure(`ENCODE ${label(entry)}`, () => {
        encoded = encodePickle(decoded);
      }),
    );
    if (encoded !== undefined) {
      const protocol = dicts === 'map' ? `${entry.protocol}/map` : String(entry.protocol);
      sent.push({ name: entry.name, protocol, hex: hexOf(encoded) });
    }
  }
  return { problems, sent };
}

describe.each(['3.11', '3.12'] as const)('Python %s pickle corpus', (version) => {
  it('decodes every pickle it writes (protocols 0-5, conn.send) to the expected values', {
    timeout: 60_000,
  }, () => {
    const entries = corpus(python(version));
    const names = new Set(entries.map((entry) => entry.name));
    expect(names.size).toBeGreaterThan(80);
    expect(entries).toHaveLength(names.size * 7); // protocols 0 to 5, and "mp"
    const unknown = [...names].filter((name) => expectation(name) === undefined);
    expect(unknown, 'cases without an expected JS value').toEqual([]);
    const problems: string[] = [];
    for (const entry of entries) {
      problems.push(
        ...failure(label(entry), () => {
          const decoded = decodePickle(bytesOf(entry.hex), { dicts: 'object' });
          expectation(entry.name)!(decoded);
        }),
      );
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('decodes with dicts: map to Maps only', { timeout: 60_000 }, () => {
    const problems: string[] = [];
    for (const entry of corpus(python(version))) {
      problems.push(
        ...failure(label(entry), () => {
          const decoded = decodePickle(bytesOf(entry.hex), { dicts: 'map' });
          expectNoPlainObjects(decoded);
          if (entry.name === 'recursive:dict') {
            expectMap(decoded);
            expect(decoded.get('self')).toBe(decoded);
          }
          if (entry.name === 'dict:str-keys') {
            expect(decoded).toStrictEqual(
              new Map<unknown, unknown>([
                ['a', 1],
                ['b', [1, 2]],
              ]),
            );
          }
        }),
      );
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });

  for (const dicts of ['object', 'map'] as const) {
    it(`reads back our re-encoding of every decoded value (dicts: ${dicts})`, {
      timeout: 60_000,
    }, () => {
      const interpreter = python(version);
      const entries = corpus(interpreter);
      const { problems, sent } = roundTrip(entries, dicts);
      const { status, lines } = check(interpreter, sent);
      // Our own failures (decode, encode) and Python's FAIL lines, all in one message.
      const bad = [...problems, ...lines.filter((line) => !line.startsWith('OK '))];
      expect(bad, bad.join('\n')).toEqual([]);
      expect(lines).toEqual(sent.map((entry) => `OK ${entry.name} ${entry.protocol}`));
      expect(status).toBe(0);
    });
  }
});
