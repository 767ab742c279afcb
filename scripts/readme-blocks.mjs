// The TypeScript and JavaScript code blocks of a README and how each is marked, for the
// scripts that check them (check-readme-code.mjs) and run them (registry-round-trip.mjs):
//
//   <!-- fragment -->        on the line before the fence: a piece of a program
//   <!-- example: NAME -->   a whole program that talks only to loopback, run by a test
//   (no marker)              a whole program
import { readFileSync } from 'node:fs';

const FENCE = /^```(ts|typescript|js|javascript)\s*$/;
const FRAGMENT = /^<!--\s*fragment\s*-->$/;
const EXAMPLE = /^<!--\s*example:\s*([\w-]+)\s*-->$/;

/**
 * Every ts/js block of the README at `path` (`label` names it in errors):
 * `{ lang: 'ts' | 'js', code, line (of its first code line), marker: 'fragment' | 'example' |
 * 'program', name (an example's) }`.
 */
export function readmeBlocks(path, label = path) {
  const lines = readFileSync(path, 'utf8').split('\n');
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = FENCE.exec(lines[i])?.[1];
    if (fence === undefined) continue;
    const end = lines.indexOf('```', i + 1);
    if (end === -1) throw new Error(`${label}:${i + 1}: a code block is never closed`);
    const before = (lines[i - 1] ?? '').trim();
    const name = EXAMPLE.exec(before)?.[1];
    const marker = FRAGMENT.test(before) ? 'fragment' : name !== undefined ? 'example' : 'program';
    const lang = fence.startsWith('t') ? 'ts' : 'js';
    found.push({ lang, code: lines.slice(i + 1, end).join('\n'), line: i + 2, marker, name });
    i = end;
  }
  return found;
}
