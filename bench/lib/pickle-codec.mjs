// Candidate of bench/suites/ipc.mjs's pickle rows: @net/ipc's codec, on the bytes that
// bench/lib/pickle-codec.py wrote (`generate`), so both sides work on the same pickle.
//   node pickle-codec.mjs decode <path> <ms>  decodePickle(<the file's bytes>) over and over
//   node pickle-codec.mjs encode <path> <ms>  encodePickle(<the file's decoded value>) over and over
//   node pickle-codec.mjs build-map <path> <ms>  no pickle: the dict's Map built by hand from
//                                                fresh strings (the work any JS decoder does)
// After a 200 ms warm-up, runs for <ms> (at most MAX_OPS times) and prints "<ops> <ns>".
import { readFileSync } from 'node:fs';
import { decodePickle, encodePickle } from '@net/ipc';

const WARMUP_NS = 200_000_000n;
const MAX_OPS = 1_000_000;

const [mode, path, ms] = process.argv.slice(2);
const bytes = new Uint8Array(readFileSync(path));

/** A list's length, a dict's 1: cheap, and it keeps every result used. */
const size = (value) => value.length ?? 1;

function measure(op) {
  let sink = 0;
  let end = process.hrtime.bigint() + WARMUP_NS;
  while (process.hrtime.bigint() < end) sink += size(op());
  let ops = 0;
  let now;
  const start = process.hrtime.bigint();
  end = start + BigInt(ms) * 1_000_000n;
  for (;;) {
    sink += size(op());
    ops++;
    now = process.hrtime.bigint();
    if (now >= end || ops >= MAX_OPS) break;
  }
  if (!(sink > 0)) throw new Error('empty results');
  console.log(`${ops} ${now - start}`);
}

if (mode === 'decode') {
  measure(() => decodePickle(bytes));
} else if (mode === 'encode') {
  const value = decodePickle(bytes);
  measure(() => encodePickle(value));
} else if (mode === 'build-map') {
  // What any JS decoder of the dict workload must do at least, by hand and without pickle:
  // create each key string from its bytes and insert it into a Map. The keys ('key0' to
  // 'key9999') are 4 to 7 bytes, each made by one fixed-arity String.fromCharCode (the
  // cheapest way measured here: a spread call costs 10% more instructions).
  const source = decodePickle(bytes);
  const keys = [...source.keys()].map((key) => Uint8Array.from(key, (char) => char.charCodeAt(0)));
  const values = [...source.values()];
  if (keys.some((key) => key.length < 4 || key.length > 7))
    throw new Error('not the dict workload');
  const f = String.fromCharCode;
  const fresh = (b) => {
    switch (b.length) {
      case 4:
        return f(b[0], b[1], b[2], b[3]);
      case 5:
        return f(b[0], b[1], b[2], b[3], b[4]);
      case 6:
        return f(b[0], b[1], b[2], b[3], b[4], b[5]);
      default:
        return f(b[0], b[1], b[2], b[3], b[4], b[5], b[6]);
    }
  };
  measure(() => {
    const map = new Map();
    for (let i = 0; i < keys.length; i++) map.set(fresh(keys[i]), values[i]);
    return map;
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
