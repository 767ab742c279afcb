#!/usr/bin/env node
// Creates packages/<name> from the package template (see CONTRIBUTING.md and
// docs/conventions.md):
//
//   node scripts/new-package.mjs <name> "<one-line description>" [keyword ...]
//
// The files it writes are the ones scripts/check-packages.mjs insists on, so a new
// package passes the publishing checks from its first commit. `NetError` and the shared
// error classes come from `@net/core`, the one dependency every package has.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [name, description, ...keywords] = process.argv.slice(2);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name) || !description) {
  console.error(
    'usage: node scripts/new-package.mjs <kebab-case-name> "<description>" [keyword ...]',
  );
  process.exit(2);
}
// The same rule as scripts/check-packages.mjs, so the package passes it from the start.
if (description.length <= 20) {
  console.error(
    `The description is npm's one-line summary and must be longer than 20 characters ` +
      `(scripts/check-packages.mjs checks it); got ${JSON.stringify(description)} ` +
      `(${description.length}). Say what the package does, e.g. "socketserver-style TCP servers".`,
  );
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const dir = join(root, 'packages', name);
if (existsSync(dir)) {
  console.error(`packages/${name} already exists`);
  process.exit(1);
}
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const devVersion = (dep) => rootManifest.devDependencies[dep];
// The Node versions every package supports are the root's (check-packages.mjs insists).
const engines = rootManifest.engines.node;
const minimumNode = engines.match(/^>=(\d+\.\d+)/)?.[1];
if (minimumNode === undefined) {
  console.error(`root package.json engines.node is "${engines}"; expected ">=X.Y.Z"`);
  process.exit(1);
}

const manifest = {
  name: `@net/${name}`,
  version: '0.0.0',
  description,
  keywords: keywords.length > 0 ? keywords : [name, 'net', 'network'],
  license: 'MIT',
  repository: {
    type: 'git',
    url: 'git+https://github.com/net-toolkit/net.git',
    directory: `packages/${name}`,
  },
  type: 'module',
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.cts',
  exports: {
    '.': {
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    },
    './package.json': './package.json',
  },
  files: ['dist'],
  sideEffects: false,
  engines: { node: engines },
  publishConfig: { access: 'public' },
  scripts: { build: 'tsup', test: 'vitest run', typecheck: 'tsc -p tsconfig.json' },
  dependencies: { '@net/core': 'workspace:*' },
  devDependencies: Object.fromEntries(
    ['@types/node', 'tsup', 'typescript', 'vitest'].map((dep) => [dep, devVersion(dep)]),
  ),
};

const files = {
  'package.json': `${JSON.stringify(manifest, null, 2)}\n`,
  'tsup.config.ts': `import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  platform: 'node',
});
`,
  'tsconfig.json': `{
  "extends": "../../tsconfig.base.json",
  "include": ["src", "test", "*.config.ts"]
}
`,
  'vitest.config.ts': `import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '${name}',
    include: ['test/**/*.test.ts'],
  },
});
`,
  'src/index.ts': `/**
 * \`@net/${name}\`: ${description}
 *
 * Replace this example with a runnable one of the package's main use (the README's quick
 * example, shortened).
 *
 * @example
 * \`\`\`ts
 * import { NetError } from '@net/${name}';
 *
 * try {
 *   // ... call the package ...
 * } catch (error) {
 *   if (error instanceof NetError) console.log(error.code); // stable: branch on it
 * }
 * \`\`\`
 *
 * @packageDocumentation
 */
export { InvalidArgumentError, NetError } from './errors.js';
`,
  'src/errors.ts': `/**
 * Error classes of \`@net/${name}\`. \`NetError\` and the classes of shared conditions
 * (\`ERR_INVALID_ARGUMENT\`, \`ERR_TIMEOUT\`, \`ERR_CONNECTION_CLOSED\`, ...) come from
 * \`@net/core\` and are re-exported. A condition only this package meets gets its own class
 * here: it extends \`NetError\`, has a TSDoc comment whose first sentence says when it is
 * thrown, and a stable \`code\` that no other class uses (\`node scripts/list-error-codes.mjs\`).
 */
export { InvalidArgumentError, NetError } from '@net/core';
`,
  'test/api.test.ts': `import * as core from '@net/core';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

// Test the package's behaviour through its public API, asserting on error codes, never
// on message text; interop tests against real peers go in test/interop/.
describe('@net/${name} public API', () => {
  it("throws @net/core's error classes, so instanceof and codes agree across the toolkit", () => {
    expect(api.NetError).toBe(core.NetError);
    const error = new api.InvalidArgumentError('timeout must be a number of milliseconds');
    expect(error).toBeInstanceOf(core.NetError);
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
  });
});
`,
  'README.md': `# @net/${name}

${description}

## Install

\`\`\`sh
npm install @net/${name}
\`\`\`

TypeScript projects also need Node's own types, which these refer to (\`AbortSignal\`,
\`Buffer\`, ...): \`npm install -D @types/node\`, as for any Node library; without it \`tsc\`
reports those names as missing.

Node.js ${minimumNode} or newer (the maintained lines 22, 24 and 26). ESM and CommonJS, with
TypeScript types. Depends on \`@net/core\` (\`NetError\` and the shared error classes).

## Quick example

## API

## Errors

Every error extends \`NetError\` (from \`@net/core\`, re-exported here) and has a stable
\`code\`: branch on it; the message is for humans and may change.

| code | class | when |
|---|---|---|
| \`ERR_INVALID_ARGUMENT\` | \`InvalidArgumentError\` (\`@net/core\`) | an argument or option is out of range or of the wrong type |

## Security notes

## Performance
`,
};

for (const [file, content] of Object.entries(files)) {
  mkdirSync(join(dir, file, '..'), { recursive: true });
  writeFileSync(join(dir, file), content);
}
mkdirSync(join(dir, 'test', 'interop'), { recursive: true });
copyFileSync(join(root, 'LICENSE'), join(dir, 'LICENSE'));
console.log(
  `Created packages/${name}. Next: npx -y pnpm@10 install; write src/, test/ and the README ` +
    '(see docs/conventions.md); npx -y pnpm@10 build && node scripts/check-packages.mjs ' +
    `@net/${name}; add a changeset.`,
);
