#!/usr/bin/env node
// Publishing checks for every publishable workspace package (packages/*, apps/* not private):
// the template's package.json fields, publint and arethetypeswrong on the packed tarball,
// and an install of that tarball into a fresh project where both `import` and `require`
// must work and agree, and its types must compile strictly (needing @types/node only if the
// package README's Install section says so). A new package is picked up by its folder
// alone, so none can skip this.
//
//   node scripts/check-packages.mjs [package-name ...]
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const only = process.argv.slice(2);

/** Every workspace package that is published, keyed by name. */
function publishablePackages() {
  const found = new Map();
  for (const group of ['packages', 'apps']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const entry of readdirSync(groupDir, { withFileTypes: true })) {
      const dir = join(groupDir, entry.name);
      const manifestPath = join(dir, 'package.json');
      if (!entry.isDirectory() || !existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      if (!manifest.private) found.set(manifest.name, { dir, manifest });
    }
  }
  return found;
}

function run(command, args, options = {}) {
  return execFileSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
}

/** Problems with the fields every package must have (see CONTRIBUTING.md). */
function templateProblems({ dir, manifest }) {
  const problems = [];
  const expect = (ok, message) => ok || problems.push(message);
  const directory = relative(root, dir);
  expect(/^@net\/[a-z0-9-]+$/.test(manifest.name), 'name must be @net/<kebab-case>');
  expect(
    typeof manifest.description === 'string' && manifest.description.length > 20,
    'needs a description',
  );
  expect(Array.isArray(manifest.keywords) && manifest.keywords.length > 0, 'needs keywords');
  expect(manifest.license === 'MIT', 'license must be MIT');
  expect(
    manifest.repository?.directory === directory,
    `repository.directory must be "${directory}"`,
  );
  expect(manifest.type === 'module', 'type must be "module"');
  expect(manifest.sideEffects === false, 'sideEffects must be false');
  expect(JSON.stringify(manifest.files) === '["dist"]', 'files must be ["dist"]');
  const engines = rootManifest.engines.node;
  expect(manifest.engines?.node === engines, `engines.node must be "${engines}", as at the root`);
  const main = manifest.exports?.['.'];
  expect(
    main?.import?.types && main?.import?.default,
    'exports["."].import needs types and default',
  );
  expect(
    main?.require?.types && main?.require?.default,
    'exports["."].require needs types and default',
  );
  expect(existsSync(join(dir, 'README.md')), 'needs a README.md');
  expect(existsSync(join(dir, 'LICENSE')), 'needs a LICENSE file');
  for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
    if (dep.startsWith('@net/')) expect(range === 'workspace:*', `${dep} must be "workspace:*"`);
  }
  return problems;
}

/** The names of `name` and of every @net package it depends on, transitively. */
function withWorkspaceDependencies(name, packages, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  for (const dep of Object.keys(packages.get(name)?.manifest.dependencies ?? {})) {
    if (packages.has(dep)) withWorkspaceDependencies(dep, packages, seen);
  }
  return seen;
}

const ESM_PROBE = `
const name = process.argv[1];
const esm = await import(name);
const { createRequire } = await import('node:module');
const cjs = createRequire(process.cwd() + '/index.js')(name);
const esmNames = Object.keys(esm).filter((key) => key !== 'default' && key !== 'module.exports').sort();
const cjsNames = Object.keys(cjs).filter((key) => key !== '__esModule').sort();
if (esmNames.length === 0) throw new Error('import() exposes no named exports');
if (esmNames.join() !== cjsNames.join()) {
  throw new Error('import and require disagree:\\n  import:  ' + esmNames + '\\n  require: ' + cjsNames);
}
console.log('import and require both expose ' + esmNames.length + ' names');
`;

/** The `## Install` section of a README. */
function installSection(readme) {
  const start = readme.indexOf('\n## Install');
  if (start === -1) return '';
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/**
 * Compiles `import * as api from '<name>'` in the project the tarball was installed into,
 * strictly and with the declaration files checked, as a TypeScript user would: first
 * without `@types/node`; if that fails, the README's Install section must say that
 * `@types/node` is needed, and with it (the version the repo builds with) it must compile.
 */
function typesProblems(name, pkg, project) {
  writeFileSync(
    join(project, 'index.ts'),
    `import * as api from '${name}';\nexport type Api = typeof api;\n`,
  );
  const tsc = (types, typeRoots) => {
    const compilerOptions = {
      noEmit: true,
      strict: true,
      skipLibCheck: false,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'ES2022',
      lib: ['ES2023'],
      types,
      ...(typeRoots ? { typeRoots } : {}),
    };
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, files: ['index.ts'] }),
    );
    return run(bin('tsc'), ['-p', 'tsconfig.json'], { cwd: project });
  };
  try {
    tsc([]);
    return 'compiles without @types/node';
  } catch (error) {
    const errors = `${error.stdout ?? ''}`.split('\n').filter((line) => line.includes('error TS'));
    const readme = readFileSync(join(pkg.dir, 'README.md'), 'utf8');
    if (!installSection(readme).includes('@types/node')) {
      throw new Error(
        `its types need @types/node (${errors.length} errors without it, e.g. ${errors[0]}), ` +
          "but the README's Install section does not say so",
      );
    }
  }
  tsc(['node'], [typesNodeRoot()]);
  return `needs @types/node, as its README says; compiles with @types/node@${TYPES_NODE}`;
}

/** The @types/node the repo builds with. */
const TYPES_NODE = rootManifest.devDependencies['@types/node'];
let typesNodeDir;

/**
 * A `typeRoots` entry holding @types/node, installed once for every package (outside the
 * probe projects, so the compile without it cannot find it by walking up).
 */
function typesNodeRoot() {
  if (typesNodeDir === undefined) {
    const dir = join(work, 'types-node');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{"name":"types-node","private":true}\n');
    run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', `@types/node@${TYPES_NODE}`],
      {
        cwd: dir,
      },
    );
    typesNodeDir = join(dir, 'node_modules', '@types');
  }
  return typesNodeDir;
}

const packages = publishablePackages();
const selected = [...packages.keys()].filter((name) => only.length === 0 || only.includes(name));
if (only.length > 0 && selected.length !== only.length) {
  console.error(`Unknown package(s): ${only.filter((name) => !packages.has(name)).join(', ')}`);
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'net-check-'));
const tarballs = new Map();
const failures = [];

try {
  for (const name of packages.keys()) {
    const output = run(bin('pnpm'), ['pack', '--pack-destination', work], {
      cwd: packages.get(name).dir,
    });
    tarballs.set(name, output.trim().split('\n').at(-1));
  }
  for (const name of selected) {
    const pkg = packages.get(name);
    const tarball = tarballs.get(name);
    const step = (label, fn) => {
      try {
        const note = fn();
        console.log(`  ok   ${label}${note ? `: ${note}` : ''}`);
      } catch (error) {
        const detail = `${error.stdout ?? ''}${error.stderr ?? ''}` || error.message;
        console.log(`  FAIL ${label}\n${detail.replace(/^/gm, '       ')}`);
        failures.push(`${name}: ${label}`);
      }
    };
    console.log(`${name} (${relative(root, pkg.dir)})`);
    step('package.json template', () => {
      const problems = templateProblems(pkg);
      if (problems.length > 0) throw new Error(problems.join('\n'));
    });
    step('publint', () =>
      run(bin('publint'), ['run', tarball, '--strict']).trim().split('\n').at(-1),
    );
    step('arethetypeswrong', () => {
      run(bin('attw'), [tarball, '--format', 'ascii', '--no-color']);
    });
    step('packed tarball installs; import and require work', () => {
      const project = join(work, `install-${name.replace('/', '-')}`);
      mkdirSync(project);
      writeFileSync(join(project, 'package.json'), '{"name":"probe","private":true}\n');
      const needed = [...withWorkspaceDependencies(name, packages)].map((dep) => tarballs.get(dep));
      run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...needed], {
        cwd: project,
      });
      return run(process.execPath, ['--input-type=module', '-e', ESM_PROBE, name], {
        cwd: project,
      }).trim();
    });
    step('types compile as the README says (@types/node when needed)', () =>
      typesProblems(name, pkg, join(work, `install-${name.replace('/', '-')}`)),
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`\n${failures.length} package check(s) failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(`\nAll package checks passed for ${selected.length} package(s).`);
