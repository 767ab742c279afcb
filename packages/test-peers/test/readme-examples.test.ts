import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeExample, readmeExamples, readmeTableNames, runExample } from '../src/index.js';

function readme(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'net-readme-')), 'README.md');
  writeFileSync(file, text);
  return file;
}

describe('readmeExamples', () => {
  it('takes only the blocks right after an example marker, with their first line', () => {
    const file = readme(
      [
        '# pkg', // 1
        '```ts', // 2: not marked
        'const fragment = 1;',
        '```',
        '<!-- example: first -->', // 5
        '```ts',
        'const a: number = 1; // line 7',
        'console.log(a);',
        '```',
        '<!-- example: second-one -->',
        '```js',
        'console.log(2);',
        '```',
        '<!-- example: py -->',
        '```python',
        'print(port)',
        '```',
      ].join('\n'),
    );
    expect(readmeExamples(file)).toEqual([
      {
        name: 'first',
        lang: 'ts',
        code: 'const a: number = 1; // line 7\nconsole.log(a);',
        line: 7,
      },
      { name: 'second-one', lang: 'js', code: 'console.log(2);', line: 12 },
      { name: 'py', lang: 'python', code: 'print(port)', line: 16 },
    ]);
  });

  it('refuses a marker without a ts/js/python block, an unclosed block and a duplicate name', () => {
    expect(() => readmeExamples(readme('<!-- example: x -->\n```sh\nls\n```\n'))).toThrow(
      /example "x" must be followed by a ts, js or python block/,
    );
    expect(() => readmeExamples(readme('<!-- example: x -->\n```ts\nlet a = 1;\n'))).toThrow(
      /never closed/,
    );
    const twice = '<!-- example: x -->\n```ts\n1;\n```\n<!-- example: x -->\n```ts\n2;\n```\n';
    expect(() => readmeExamples(readme(twice))).toThrow(/two examples are named "x"/);
  });
});

describe('readmeExample', () => {
  it('finds one example by name, and throws naming a missing one', () => {
    const file = readme('<!-- example: only -->\n```js\nconsole.log(1);\n```\n');
    expect(readmeExample(file, 'only')).toMatchObject({ name: 'only', code: 'console.log(1);' });
    expect(() => readmeExample(file, 'other')).toThrow(/has no example "other"/);
  });
});

describe('readmeTableNames', () => {
  it("collects the backticked names of each row's first cell, calls by their name", () => {
    const file = readme(
      [
        '| option | default | meaning |',
        '|---|---|---|',
        '| `host`, `port` | `127.0.0.1` | where |',
        '| `onError(error, context)` | stderr | `notThis` |',
        '| plain text | `x` | no names here |',
        'Not a table: `alsoNot`.',
      ].join('\n'),
    );
    expect([...readmeTableNames(file)].sort()).toEqual(['host', 'onError', 'port']);
  });
});

describe('runExample', { timeout: 30_000 }, () => {
  it('strips types, runs top-level await and resolves @net packages through their exports', async () => {
    const code = [
      "import { NetError } from '@net/core';",
      'const wait: Promise<number> = Promise.resolve(42);',
      "console.log(await wait, typeof NetError, new NetError('ERR_X', 'm').code);",
    ].join('\n');
    const result = await runExample({ name: 'types', lang: 'ts', code, line: 1 });
    expect(result).toMatchObject({ code: 0, stdout: '42 function ERR_X\n' });
  });

  it('reports a failing example with its exit code and stderr', async () => {
    const result = await runExample({
      name: 'fails',
      lang: 'js',
      code: "throw new Error('boom');",
      line: 1,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('boom');
  });
});
