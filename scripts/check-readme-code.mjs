#!/usr/bin/env node
// Checks every TypeScript and JavaScript code block of the repository's READMEs (as
// readme-blocks.mjs finds and classifies them), so that the docs cannot drift from the code:
//
//   <!-- fragment -->        on the line before the fence: a piece of a program, not checked
//   <!-- example: NAME -->   a whole program that talks only to loopback: type-checked here,
//                            and run by a test of its package (this script checks that some
//                            test under the package's test/ names it in readmeExample(...))
//   (no marker)              a whole program: type-checked here (a client of a public
//                            service, a module that another program loads)
//
// Each checked block becomes one module of a scratch project that resolves `@net/<name>` to
// the built packages (their `dist/` types, as users get them), compiled with `tsc --noEmit`
// (TypeScript in strict mode); errors are reported at the README's own line numbers.
//
//   node scripts/check-readme-code.mjs
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { readmeBlocks } from './readme-blocks.mjs';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(join(root, 'package.json'));

/** READMEs with code users copy: the root's, every package's and app's, and examples/. */
function readmes() {
  const found = ['README.md', 'examples/README.md'];
  for (const parent of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, parent))) found.push(`${parent}/${name}/README.md`);
  }
  return found.filter((path) => existsSync(join(root, path)));
}

/** The test files of the package a README belongs to (empty for the root and examples/). */
function testSources(readme) {
  const dir = join(root, readme, '..', 'test');
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true })
    .filter((file) => /\.test\.[cm]?[jt]s$/.test(String(file)))
    .map((file) => readFileSync(join(dir, String(file)), 'utf8'))
    .join('\n');
}

const problems = [];
const checked = []; // { readme, block, file }
const project = mkdtempSync(join(tmpdir(), 'net-readme-code-'));
try {
  // The scratch project: @net/* are the workspace packages (built), @types/node the repo's.
  const scope = join(project, 'node_modules', '@net');
  mkdirSync(scope, { recursive: true });
  for (const name of readdirSync(join(root, 'packages'))) {
    symlinkSync(join(root, 'packages', name), join(scope, name), 'dir');
  }
  mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
  symlinkSync(
    join(root, 'node_modules', '@types', 'node'),
    join(project, 'node_modules', '@types', 'node'),
    'dir',
  );
  writeFileSync(join(project, 'package.json'), '{ "type": "module", "private": true }\n');

  let fragments = 0;
  for (const readme of readmes()) {
    let tests;
    for (const block of readmeBlocks(join(root, readme), readme)) {
      if (block.marker === 'fragment') {
        fragments++;
        continue;
      }
      if (block.marker === 'example') {
        tests ??= testSources(readme);
        const named = new RegExp(`readmeExample\\([^)]*['"\`]${block.name}['"\`]`);
        if (!named.test(tests)) {
          problems.push(
            `${readme}:${block.line - 1}: example "${block.name}" is run by no test: call ` +
              `runExample(readmeExample(README, '${block.name}')) in ${relative(root, join(root, readme, '..', 'test'))}/`,
          );
        }
      }
      const file = `${readme.replace(/[/.]/g, '_')}_${block.line}.${block.lang}`;
      // `export {}` makes every block a module of its own, as it is in a user's file.
      writeFileSync(join(project, file), `${block.code}\nexport {};\n`);
      checked.push({ readme, block, file });
    }
  }

  // TypeScript blocks in strict mode; JavaScript blocks for what they call (a JS user writes
  // no annotations, so neither implicit any nor strict null checks apply to them).
  const configs = [
    { name: 'tsconfig.ts.json', ext: '.ts', strict: true, checkJs: false },
    { name: 'tsconfig.js.json', ext: '.js', strict: false, checkJs: true },
  ];
  const byFile = new Map(checked.map((entry) => [entry.file, entry]));
  const tsc = require.resolve('typescript/bin/tsc');
  for (const config of configs) {
    const files = checked.map(({ file }) => file).filter((file) => file.endsWith(config.ext));
    if (files.length === 0) continue;
    writeFileSync(
      join(project, config.name),
      JSON.stringify({
        compilerOptions: {
          strict: config.strict,
          noEmit: true,
          target: 'es2023',
          lib: ['es2023'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          types: ['node'],
          allowJs: config.checkJs,
          checkJs: config.checkJs,
          skipLibCheck: true,
        },
        files,
      }),
    );
    const run = spawnSync(process.execPath, [tsc, '-p', config.name, '--pretty', 'false'], {
      cwd: project,
      encoding: 'utf8',
    });
    // "file.ts(3,7): error TS2304: ..." -> the README's own line.
    const before = problems.length;
    for (const line of `${run.stdout}${run.stderr}`.split('\n')) {
      const match = /^(.+?)\((\d+),(\d+)\): (error .*)$/.exec(line);
      const entry = match && byFile.get(match[1]);
      if (!entry) {
        if (line.trim() !== '') problems.push(line);
        continue;
      }
      const at = entry.block.line + Number(match[2]) - 1;
      problems.push(`${entry.readme}:${at}:${match[3]}: ${match[4]}`);
    }
    if (run.status !== 0 && problems.length === before) {
      problems.push(`tsc -p ${config.name} exited with ${run.status}`);
    }
  }
  console.log(
    `README code: ${checked.length} blocks type-checked ` +
      `(${checked.filter(({ block }) => block.marker === 'example').length} of them run by tests), ` +
      `${fragments} fragments skipped`,
  );
} finally {
  rmSync(project, { recursive: true, force: true });
}

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  console.error(
    '\nFix the block, or mark a piece of a program with <!-- fragment --> on the line before its fence.',
  );
  process.exit(1);
}
