// The pickle codec on its own (hand-written pickles, so every opcode and limit is pinned down
// byte by byte) and over a Node <-> Node connection. Python as the peer: interop/pickle*.ts.
import { randomBytes } from 'node:crypto';
import { thrown as thrownBy } from '@net/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  asTuple,
  type Connection,
  connect,
  decodePickle,
  encodePickle,
  IPC_DEFAULTS,
  isTuple,
  type Listener,
  listen,
  type NetError,
  PICKLE_DEFAULTS,
  type PickleUnsafeError,
  tuple,
} from '../src/index.js';
import { withTimeout } from './helpers.js';

const OBJECTS = { dicts: 'object' } as const;

/** Bytes from a pickle written as a Latin-1 string ('\x80\x04...'). */
const p = (text: string): Uint8Array => Uint8Array.from(text, (char) => char.charCodeAt(0));

const thrown = (fn: () => unknown) => thrownBy<NetError>(fn);

/** `n` lists nested in one another, innermost empty, as Python's pickler writes them. */
function nestedLists(n: number): Uint8Array {
  return p(`\x80\x04${']'.repeat(n)}${'a'.repeat(n - 1)}.`);
}

function nestedValue(n: number): unknown[] {
  const root: unknown[] = [];
  let inner = root;
  for (let i = 1; i < n; i++) {
    const next: unknown[] = [];
    inner.push(next);
    inner = next;
  }
  return root;
}

describe('decodePickle: what Python writes', () => {
  it('reads every data type of protocols 0 to 5', () => {
    // pickle.dumps([None, True, False, 1, -1, 300, 70000, 1.5, 'hé', b'ab', (1, 2), {'a': 1}, {3}], 4)
    const bytes = p(
      '\x80\x04\x95@\x00\x00\x00\x00\x00\x00\x00]\x94(N\x88\x89K\x01J\xff\xff\xff\xffM,\x01J' +
        'p\x11\x01\x00G?\xf8\x00\x00\x00\x00\x00\x00\x8c\x03h\xc3\xa9\x94C\x02ab\x94K\x01K\x02\x86' +
        '\x94}\x94\x8c\x01a\x94K\x01s\x8f\x94(K\x03\x90e.',
    );
    const value = decodePickle(bytes) as unknown[];
    expect(value.slice(0, 10)).toEqual([
      null,
      true,
      false,
      1,
      -1,
      300,
      70000,
      1.5,
      'hé',
      new Uint8Array([0x61, 0x62]),
    ]);
    expect(Object.getPrototypeOf(value[9])).toBe(Uint8Array.prototype); // a copy, not a Buffer view
    expect(value[10]).toEqual([1, 2]);
    expect(isTuple(value[10])).toBe(true);
    expect(value[11]).toEqual(new Map([['a', 1]]));
    expect(value[12]).toEqual(new Set([3]));
    // Protocol 0 (text opcodes) of [1, 2.5, 'x', (3,)] and protocol 2's bytes / set spellings.
    expect(decodePickle(p('(lp0\nI1\naF2.5\naVx\np1\na(I3\ntp2\na.'))).toEqual([1, 2.5, 'x', [3]]);
    expect(
      decodePickle(
        p(
          '\x80\x02c_codecs\nencode\nq\x00X\x02\x00\x00\x00abq\x01X\x06\x00\x00\x00latin1q\x02\x86q\x03Rq\x04.',
        ),
      ),
    ).toEqual(new Uint8Array([0x61, 0x62]));
    expect(
      decodePickle(p('\x80\x03cbuiltins\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03.')),
    ).toEqual(new Set([1, 2]));
    expect(decodePickle(p('\x80\x02c__builtin__\nbytes\nq\x00)Rq\x01.'))).toEqual(
      new Uint8Array(0),
    );
  });

  it('switches int from number to bigint past 2**53 - 1', () => {
    // LONG1 of 2**53 - 1, 2**53, -(2**53 - 1), -(2**53)
    expect(decodePickle(p('\x8a\x07\xff\xff\xff\xff\xff\xff\x1f.'))).toBe(2 ** 53 - 1);
    expect(decodePickle(p('\x8a\x07\x00\x00\x00\x00\x00\x00\x20.'))).toBe(2n ** 53n);
    expect(decodePickle(p('\x8a\x07\x01\x00\x00\x00\x00\x00\xe0.'))).toBe(-(2 ** 53 - 1));
    expect(decodePickle(p('\x8a\x07\x00\x00\x00\x00\x00\x00\xe0.'))).toBe(-(2n ** 53n));
    expect(decodePickle(p('\x8a\x00.'))).toBe(0);
    expect(decodePickle(p('L123456789012345678901234567890L\n.'))).toBe(
      123456789012345678901234567890n,
    );
  });

  it("keeps a '__proto__' key an own property", () => {
    const value = decodePickle(
      p('}\x94(\x8c\t__proto__\x94}\x94\x8c\x08polluted\x94K\x01su.'),
      OBJECTS,
    ) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("builds a dict as a Map when a key is not a str, also after it was referenced (dicts: 'object')", () => {
    // d = {'a': None}; d[1] = d: the dict is fetched from the memo before its int key arrives.
    const escaped = decodePickle(p('\x80\x04}\x94(\x8c\x01aNK\x01h\x00u.'), OBJECTS) as Map<
      unknown,
      unknown
    >;
    expect(escaped).toBeInstanceOf(Map);
    expect([...escaped.keys()]).toEqual(['a', 1]);
    expect(escaped.get(1)).toBe(escaped);
    // [{'k': 1}, {2: 'x'}]: one object, one Map.
    const mixed = decodePickle(
      p('](}\x94\x8c\x01kK\x01s}\x94K\x02\x8c\x01xse.'),
      OBJECTS,
    ) as unknown[];
    expect(mixed[0]).toEqual({ k: 1 });
    expect(mixed[1]).toEqual(new Map([[2, 'x']]));
    // The default: every dict a Map.
    expect(decodePickle(p('}\x94\x8c\x01kK\x01s.'))).toEqual(new Map([['k', 1]]));
  });

  it('reads lists of numbers batch by batch, as item by item', () => {
    const floats = Array.from({ length: 2500 }, (_, i) => i + 0.5); // 3 batches of APPENDS
    const mixed = [1, 2.5, null, true, false, 300, 70_000, -5, 'x', 1.5, [2.5]];
    for (const value of [floats, mixed, [floats, mixed], [0.5]]) {
      expect(decodePickle(encodePickle(value))).toEqual(value);
    }
    // A FRAME between two items, as Python's framer may write it; then one that overruns.
    const frame = (length: string) =>
      p(`](G?\xf8\x00\x00\x00\x00\x00\x00\x95${length}\x00\x00\x00\x00\x00\x00\x00K\x01e.`);
    expect(decodePickle(frame('\x03'))).toEqual([1.5, 1]);
    expect(thrown(() => decodePickle(frame('\x09'))).code).toBe('ERR_DESERIALIZE');
    // APPENDS over a tuple stays an error.
    expect(thrown(() => decodePickle(p(')(K\x01e.'))).message).toMatch(/APPENDS .* not a list/);
  });

  it('keeps shared and recursive references', () => {
    // x = [1]; [x, x] and l = []; l.append(l)
    const shared = decodePickle(p(']\x94(]\x94K\x01ah\x01e.')) as unknown[][];
    expect(shared[0]).toBe(shared[1]);
    const recursive = decodePickle(p(']\x94h\x00a.')) as unknown[];
    expect(recursive[0]).toBe(recursive);
    // A list that holds itself twice is one level deep: back references add no depth.
    const twice = decodePickle(p('\x80\x04]\x94h\x00ah\x00a.'), { maxDepth: 1 }) as unknown[];
    expect(twice).toHaveLength(2);
    expect(twice[1]).toBe(twice);
  });

  it('memoizes the strs of a dict batch as item by item (Python 3.11 reads the same)', () => {
    // {'a': 1, 'b': 2, 'c': 3}: 'a' by MEMOIZE (memo 1), 'b' by BINPUT 2, 'c' by BINPUT 1,
    // which replaces 'a' and leaves the memo at 3 entries; as one SETITEMS batch, and as
    // single SETITEMs (the general path).
    const batch = '}\x94(\x8c\x01a\x94K\x01\x8c\x01bq\x02K\x02\x8c\x01cq\x01K\x03u';
    const single = '}\x94\x8c\x01a\x94K\x01s\x8c\x01bq\x02K\x02s\x8c\x01cq\x01K\x03s';
    const dict = new Map([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    for (const prefix of [batch, single]) {
      const gets = decodePickle(p(`${prefix}h\x01h\x02h\x00\x87.`)) as unknown[];
      expect(gets).toEqual(['c', 'b', dict]);
      // The next MEMOIZE takes index 3, the memo's size; nothing was at 3 before it.
      const next = decodePickle(p(`${prefix}\x8c\x01d\x94h\x03\x87.`)) as unknown[];
      expect(next).toEqual([dict, 'd', 'd']);
      expect(thrown(() => decodePickle(p(`${prefix}h\x03.`))).message).toMatch(
        /memo key 3 not found/,
      );
    }
    // A batch of scalars read at once, then one with a list in it, read item by item:
    // {'a': 1, 'b': []}, and what each memo index holds after it.
    const split = '}\x94(\x8c\x01a\x94K\x01u(\x8c\x01b\x94]\x94u';
    expect(decodePickle(p(`${split}h\x01h\x02h\x03\x87.`))).toEqual(['a', 'b', []]);
    expect(decodePickle(p(`${split}\x8c\x01c\x94h\x04\x86.`))).toEqual(['c', 'c']);
    // Protocols 2 and 3 memoize with LONG_BINPUT / BINPUT.
    const puts = '}\x94(\x8c\x01ar\x01\x00\x00\x00K\x01\x8c\x01bq\x02K\x02u';
    expect(decodePickle(p(`${puts}h\x01h\x02h\x00\x87.`))).toEqual([
      'a',
      'b',
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    ]);
  });

  it('reads str with lone surrogates as Python writes them (surrogatepass)', () => {
    expect(decodePickle(p('\x8c\x05a\xed\xa0\x80b\x94.'))).toBe('a\ud800b');
    expect(decodePickle(p('\x8c\x04\xf0\x9f\x98\x80.'))).toBe('\u{1F600}');
  });
});

describe('decodePickle: refusing what is not data', () => {
  const unsafe: [string, string, string, number, string | undefined][] = [
    ['GLOBAL + REDUCE: os.system', "cos\nsystem\n(S'echo pwned'\ntR.", 'GLOBAL', 0, 'os.system'],
    [
      'STACK_GLOBAL: a __reduce__ class',
      '\x80\x04\x8c\x08__main__\x94\x8c\x04Evil\x94\x93\x94)R.',
      'STACK_GLOBAL',
      20,
      '__main__.Evil',
    ],
    ['REDUCE on a value', 'N)R.', 'REDUCE', 2, undefined],
    ['BUILD', '}}b.', 'BUILD', 2, undefined],
    ['INST', '(ios\nsystem\n.', 'INST', 1, undefined],
    ['OBJ', '(N)o.', 'OBJ', 3, undefined],
    ['NEWOBJ', '\x80\x02N)\x81.', 'NEWOBJ', 4, undefined],
    ['NEWOBJ_EX', '\x80\x04N)}\x92.', 'NEWOBJ_EX', 5, undefined],
    ['PERSID', 'Pid\n.', 'PERSID', 0, undefined],
    ['BINPERSID', 'NQ.', 'BINPERSID', 1, undefined],
    ['EXT1', '\x80\x02\x82\x01.', 'EXT1', 2, undefined],
    ['EXT2', '\x80\x02\x83\x01\x00.', 'EXT2', 2, undefined],
    ['EXT4', '\x80\x02\x84\x01\x00\x00\x00.', 'EXT4', 2, undefined],
    // pickle.dumps(set, 4): the class itself, named but never called.
    [
      'a builtin left as a value',
      '\x80\x04\x95\x14\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\x03set\x94\x93\x94.',
      'STACK_GLOBAL',
      28,
      'builtins.set',
    ],
    ['a builtin inside a list', ']\x94cbuiltins\nset\na.', 'GLOBAL', 2, 'builtins.set'],
    ['a builtin as a dict key', '}cbuiltins\nset\nK\x01s.', 'GLOBAL', 1, 'builtins.set'],
    ['a builtin as a set item', '\x8f(cbuiltins\nset\n\x90.', 'GLOBAL', 2, 'builtins.set'],
  ];
  it.each(unsafe)('%s', (_name, text, opcode, offset, global) => {
    const error = thrown(() => decodePickle(p(text))) as PickleUnsafeError;
    expect(error.code).toBe('ERR_PICKLE_UNSAFE');
    expect(error.opcode).toBe(opcode);
    expect(error.offset).toBe(offset);
    expect(error.global).toBe(global);
    expect(error.message).toContain(opcode);
  });

  it('refuses GLOBAL before anything after it is read', () => {
    // The REDUCE's argument is truncated garbage: GLOBAL is refused first.
    expect(thrown(() => decodePickle(p('cposix\nsystem\n(X\xff\xff'))).code).toBe(
      'ERR_PICKLE_UNSAFE',
    );
  });

  it('fails every truncation of a valid pickle with ERR_DESERIALIZE', () => {
    const shared = [1, 2];
    const bytes = encodePickle({
      list: [null, true, 2 ** 40, -0, 'é\u{1F600}', new Uint8Array(300), tuple(1, 2, 3, 4)],
      floats: [0.5, 1, 70_000, null, false],
      map: new Map<unknown, unknown>([[tuple(1), new Set([1, 'x'])]]),
      shared: [shared, shared],
      big: 2n ** 100n,
    });
    expect(decodePickle(bytes)).toBeTruthy();
    for (let n = 0; n < bytes.byteLength; n++) {
      const error = thrown(() => decodePickle(bytes.subarray(0, n)));
      expect(error.code, `cut at ${n}`).toBe('ERR_DESERIALIZE');
    }
  });

  it('refuses malformed pickles with ERR_DESERIALIZE, naming what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['', /ends before the STOP/],
      ['\xff\x0f', /unknown opcode 0xff.*V8-serialized/],
      ['.', /STOP with an empty stack/],
      ['\x80\x06N.', /unsupported pickle protocol 6/],
      ['K\x01K\x02a.', /APPEND .* not a list/],
      ['K\x01\x85K\x02a.', /APPEND .* not a list/],
      [']K\x01K\x02s.', /SETITEM .* not a dict/],
      ['h\x05.', /memo key 5 not found/],
      ['\x8f(]\x90.', /unhashable set item/],
      ['}]K\x01s.', /unhashable dict key/],
      ['\x8d\xff\xff\xff\xff\xff\xff\xff\x7f.', /announces \d+ bytes, 1 are left/],
      ['X\x05\x00\x00\x00\xff\xfe\xfd\xfc\xfb.', /not valid UTF-8/],
      ['\x97.', /out-of-band buffers/],
      ['e.', /APPENDS without a MARK/],
      // POP right after a MARK pops the MARK, not the list under it: APPENDS has no MARK.
      [']K\x01(0e.', /APPENDS without a MARK/],
      ['cbuiltins\nset\nK\x05\x85R.', /builtins\.set\(\) with unexpected arguments/],
    ];
    for (const [text, message] of cases) {
      const error = thrown(() => decodePickle(p(text)));
      expect(error.code, JSON.stringify(text)).toBe('ERR_DESERIALIZE');
      expect(error.message, JSON.stringify(text)).toMatch(message);
    }
  });
});

describe('decodePickle: limits', () => {
  it('allows nesting up to maxDepth and refuses one level more', () => {
    expect(() => decodePickle(nestedLists(50), { maxDepth: 50 })).not.toThrow();
    const error = thrown(() => decodePickle(nestedLists(51), { maxDepth: 50 }));
    expect(error.code).toBe('ERR_PICKLE_LIMIT');
    expect(error).toMatchObject({ limit: 'maxDepth', max: 50 });
    // The default: Python's recursion limit.
    expect(() => decodePickle(nestedLists(PICKLE_DEFAULTS.maxDepth))).not.toThrow();
    expect(thrown(() => decodePickle(nestedLists(PICKLE_DEFAULTS.maxDepth + 1))).code).toBe(
      'ERR_PICKLE_LIMIT',
    );
  });

  it('refuses depth bombs without overflowing the stack', () => {
    // 200,000 tuples in one another (1 byte each), and a chain built top-down through the
    // memo so that no container is finished before its child grows.
    const tuples = p(`N${'\x85'.repeat(200_000)}.`);
    expect(thrown(() => decodePickle(tuples)).code).toBe('ERR_PICKLE_LIMIT');
    // Each step: EMPTY_LIST, LONG_BINPUT i, LONG_BINGET i-1, (list i), APPEND, POP.
    let text = ']r\x00\x00\x00\x00';
    for (let i = 1; i < 3000; i++) {
      text += `j${le32(i - 1)}]r${le32(i)}a0`;
    }
    const error = thrown(() => decodePickle(p(`${text}.`)));
    expect(error.code).toBe('ERR_PICKLE_LIMIT');
    expect(error).toMatchObject({ limit: 'maxDepth' });
  });

  it('allows maxContainers containers and refuses one more', () => {
    // 10 empty lists in one list: 11 containers.
    const bytes = p(`](${']'.repeat(10)}e.`);
    expect((decodePickle(bytes, { maxContainers: 11 }) as unknown[]).length).toBe(10);
    const error = thrown(() => decodePickle(bytes, { maxContainers: 10 }));
    expect(error.code).toBe('ERR_PICKLE_LIMIT');
    expect(error).toMatchObject({ limit: 'maxContainers', max: 10 });
  });

  it('checks its options', () => {
    expect(thrown(() => decodePickle(p('N.'), { maxDepth: 0 })).code).toBe('ERR_INVALID_ARGUMENT');
    expect(thrown(() => decodePickle(p('N.'), { dicts: 'dict' as 'map' })).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });
});

function le32(n: number): string {
  return String.fromCharCode(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
}

describe('encodePickle', () => {
  it('round-trips every type, shared and recursive references and tuple marks', () => {
    const shared = ['s'];
    const list: unknown[] = [shared, shared];
    list.push(list);
    const t = tuple(1, 'two', null);
    const value = {
      ints: [0, 255, 256, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53 - 1, -(2 ** 53 - 1)],
      // ...and the largest LONG1 (255 bytes) and the smallest LONG4, both signs.
      bigints: [
        2n ** 64n,
        -(2n ** 64n),
        -(2n ** 63n),
        2n ** 63n - 1n,
        10n ** 400n,
        2n ** 2039n - 1n,
        2n ** 2039n,
        -(2n ** 2039n),
        -(2n ** 2039n) - 1n,
      ],
      floats: [0.5, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324],
      strings: ['', 'a'.repeat(63), 'é'.repeat(200), 'x'.repeat(70_000), '\u{1F600}', 'a\udc00'],
      bytes: new Uint8Array([0, 255]),
      tuples: [t, t, tuple(), tuple(tuple(1))],
      map: new Map<unknown, unknown>([
        [1, 'one'],
        [tuple(1, 2), 'pair'],
        [null, 0],
      ]),
      set: new Set([1, 'a', tuple(2)]),
      list,
      nothing: undefined,
    };
    const back = decodePickle(encodePickle(value), OBJECTS) as typeof value;
    expect(back.ints).toEqual(value.ints);
    expect(back.bigints).toEqual(value.bigints);
    const long = (n: bigint) => encodePickle(n).slice(2, 4); // the opcode and LONG1's length
    expect([...long(2n ** 2039n - 1n)]).toEqual([0x8a, 255]);
    expect([...long(-(2n ** 2039n))]).toEqual([0x8a, 255]);
    expect(long(2n ** 2039n)[0]).toBe(0x8b);
    expect(long(-(2n ** 2039n) - 1n)[0]).toBe(0x8b);
    expect(back.floats).toEqual(value.floats);
    expect(Object.is(back.floats[1], -0)).toBe(true);
    expect(back.strings).toEqual(value.strings);
    expect(back.bytes).toEqual(value.bytes);
    expect(back.tuples[0]).toBe(back.tuples[1]);
    expect(back.tuples.every((item) => isTuple(item))).toBe(true);
    expect(back.map).toEqual(value.map);
    expect(back.set).toEqual(value.set);
    expect(back.list[0]).toBe(back.list[1]);
    expect(back.list[2]).toBe(back.list);
    expect(back.nothing).toBeNull();
    // 2**53 is an int that is not a safe integer: it comes back as a bigint.
    expect(decodePickle(encodePickle(2 ** 53))).toBe(2n ** 53n);
  });

  it('returns bytes whose buffer holds nothing else (no pooled or uninitialized memory)', () => {
    for (const value of ['x', 'y'.repeat(10_000)]) {
      const out = encodePickle(value);
      expect(out.byteOffset).toBe(0);
      expect(new Uint8Array(out.buffer).subarray(out.byteLength).every((byte) => byte === 0)).toBe(
        true,
      );
    }
  });

  it('writes lists of numbers in one pass of the buffer, and mixed lists as they are', () => {
    // A list of floats is written into room made for it at once: no doubling on the way
    // (nor for the STOP after it), so the buffer is the pickle's size, not up to twice it.
    const floats = Array.from({ length: 2500 }, (_, i) => i + 0.25);
    const out = encodePickle(floats);
    expect(out.byteLength).toBe(2 + 2 + 2500 * 9 + 3 * 2 + 1);
    expect(out.buffer.byteLength - out.byteLength).toBeLessThan(100);
    expect(decodePickle(out)).toEqual(floats);
    // A list that starts with a float and goes on with anything else.
    const shared = [0.5];
    const mixed = [1.5, 7, -0, 2 ** 40, 'x', null, true, shared, shared, 1.5e-300, ...floats, 3];
    const back = decodePickle(encodePickle(mixed)) as unknown[];
    expect(back).toEqual(mixed);
    expect(Object.is(back[2], -0)).toBe(true);
    expect(back[7]).toBe(back[8]);
    // Numbers skip the type switch, but still go through the number rules.
    expect(decodePickle(encodePickle([1, 2.5, 2 ** 53, Number.NaN]))).toEqual([
      1,
      2.5,
      2n ** 53n,
      Number.NaN,
    ]);
  });

  it('writes a tuple reached again through a list once, as Python does', () => {
    const inner: unknown[] = [];
    const t = asTuple([inner]);
    inner.push(t);
    const back = decodePickle(encodePickle(t)) as unknown[][];
    expect(isTuple(back)).toBe(true);
    expect(back[0]![0]).toBe(back);
  });

  it('refuses values with no pickle form, with the path to them, and sends nothing', () => {
    class Point {
      x = 1;
    }
    const selfTuple = asTuple<unknown[]>([]);
    selfTuple.push(selfTuple);
    const cases: [unknown, string, RegExp][] = [
      [{ a: [1, () => 1] }, '$.a[1]', /a function/],
      [[Symbol('s')], '$[0]', /a symbol/],
      [new Map([['when', new Date(0)]]), '$.when', /a Date/],
      [{ p: new Point() }, '$.p', /a Point/],
      [[new Float64Array(2)], '$[0]', /Float64Array \(only Uint8Array/],
      [new Set([[1, 2]]), '$<set item 0>', /set item \(unhashable\)/],
      [new Map([[[1], 'v']]), '$<key 1>', /dict key \(unhashable\)/],
      [selfTuple, '$[0][0]', /contains itself through tuples/],
    ];
    for (const [value, path, message] of cases) {
      const error = thrown(() => encodePickle(value)) as NetError & { path?: string };
      expect(error.code, path).toBe('ERR_SERIALIZE');
      expect(error.path).toBe(path);
      expect(error.message).toMatch(message);
    }
  });

  it('allows nesting up to maxDepth and refuses one level more', () => {
    expect(() => encodePickle(nestedValue(50), { maxDepth: 50 })).not.toThrow();
    const error = thrown(() => encodePickle(nestedValue(51), { maxDepth: 50 }));
    expect(error.code).toBe('ERR_PICKLE_LIMIT');
    expect(decodePickle(encodePickle(nestedValue(PICKLE_DEFAULTS.maxDepth)))).toBeTruthy();
  });
});

describe("codec: 'pickle' on a connection", () => {
  const authkey = randomBytes(32);
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function pair(): Promise<[Connection, Connection]> {
    const listener: Listener = await listen({
      host: '127.0.0.1',
      port: 0,
      authkey,
      codec: 'pickle',
    });
    cleanups.push(() => listener.close());
    const { port } = listener.address as { port: number };
    const client = await connect({ host: '127.0.0.1', port, authkey, codec: 'pickle' });
    cleanups.push(() => client.destroy());
    const server = await withTimeout(listener.accept(), 5_000, () => 'no accept');
    cleanups.push(() => server.destroy());
    return [client, server];
  }

  it('sends and receives values; refusals leave the connection usable', async () => {
    expect(IPC_DEFAULTS.codec).toBe('v8');
    const [client, server] = await pair();
    expect(client.codec).toBe('pickle');
    expect(server.codec).toBe('pickle');
    await client.send(['hello', 42, tuple(1, 2), new Map([[1, 'one']])]);
    expect(await server.recv()).toEqual(['hello', 42, [1, 2], new Map([[1, 'one']])]);

    // A hostile pickle (os.system via GLOBAL + REDUCE), then a value: refused, then read.
    await client.sendBytes(p("cos\nsystem\n(S'echo pwned'\ntR."));
    await client.send('after');
    await expect(server.recv()).rejects.toMatchObject({ code: 'ERR_PICKLE_UNSAFE' });
    expect(await server.recv()).toBe('after');

    // A value with no pickle form: nothing goes out, the next send is the next message.
    await expect(client.send({ f: () => 1 })).rejects.toMatchObject({
      code: 'ERR_SERIALIZE',
      path: '$.f',
    });
    await client.send(nestedValue(PICKLE_DEFAULTS.maxDepth + 1)).catch((error: NetError) => {
      expect(error.code).toBe('ERR_PICKLE_LIMIT');
    });
    await client.send(null);
    expect(await server.recv()).toBeNull();

    // A V8 value, a truncated pickle: ERR_DESERIALIZE, then the next message.
    await client.sendBytes(new Uint8Array([0xff, 0x0f, 0x22, 0x01, 0x61]));
    await client.sendBytes(encodePickle([1, 2]).subarray(0, 5));
    await client.send(true);
    await expect(server.recv()).rejects.toMatchObject({
      code: 'ERR_DESERIALIZE',
      message: expect.stringMatching(/V8-serialized value: the peer sends with codec 'v8'/),
    });
    await expect(server.recv()).rejects.toMatchObject({ code: 'ERR_DESERIALIZE' });
    expect(await server.recv()).toBe(true);
  });

  it('refuses a bad codec option', async () => {
    await expect(
      connect({ host: '127.0.0.1', port: 1, authkey, codec: 'json' as 'v8' }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
