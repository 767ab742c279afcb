#!/usr/bin/env node
// Creates packages/<name> from the package template (see CONTRIBUTING.md):
//
//   node scripts/new-package.mjs <name> "<one-line description>" [keyword ...]
//
// The files it writes are the ones scripts/check-packages.mjs insists on, so a new
// package passes the publishing checks from its first commit.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [name, description, ...keywords] = process.argv.slice(2);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name) || !description) {
  console.error(
    'usage: node scripts/new-package.mjs <kebab-case-name> "<description>" [keyword ...]',
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
  engines: { node: rootManifest.engines.node },
  publishConfig: { access: 'public' },
  scripts: { build: 'tsup', test: 'vitest run', typecheck: 'tsc -p tsconfig.json' },
  dependencies: { '@net/stream-reader': 'workspace:*' },
  devDependencies: Object.fromEntries(
    ['@types/node', 'tsup', 'typescript', 'vitest'].map((dep) => [dep, devVersion(dep)]),
  ),
};

const files = {
  'package.json': `${JSON.stringify(manifest, null, 2)}\n`,
  'tsup.config.ts': readFileSync(join(root, 'packages/stream-reader/tsup.config.ts'), 'utf8'),
  'tsconfig.json': readFileSync(join(root, 'packages/stream-reader/tsconfig.json'), 'utf8'),
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
 * @example
 * \`\`\`ts
 * // a runnable example of the main use
 * \`\`\`
 *
 * @packageDocumentation
 */
export {};
`,
  'src/errors.ts': `import { NetError } from '@net/stream-reader';

// Error classes of @net/${name}: each extends NetError with a stable \`code\`.
export { NetError };
`,
  'README.md': `# @net/${name}

${description}

## Install

\`\`\`sh
npm install @net/${name}
\`\`\`

## Quick example

## API

## Errors

| code | class | when |
|---|---|---|

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
  `Created packages/${name}. Next: npx -y pnpm@10 install, write src/ and test/, add a changeset.`,
);
