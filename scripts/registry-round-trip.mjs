#!/usr/bin/env node
// A release as users get it, through a real registry: verdaccio on 127.0.0.1 (@net/* local
// only, everything else proxied from npmjs), the pending changesets applied with
// `changeset version` on a throwaway copy of the workspace, `pnpm publish -r` from that copy,
// then, for every published package, a fresh project that `npm install`s it by name and runs
// its README's quick example (the ts/js block after `<!-- example: quick -->`) both as an ES
// module and as CommonJS. The repo itself is never modified and nothing is published anywhere
// but the loopback registry. Run from a built repo (dist/) with the Node to test:
//
//   node scripts/registry-round-trip.mjs
import { spawn } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { readmeBlocks } from './readme-blocks.mjs';

const VERDACCIO_VERSION = '6.8.0';
/** verdaccio 6.8's dependency tree does not install without this pin. */
const VERDACCIO_OVERRIDES = { 'node-fetch': '2.7.0' };
const UPLINK = 'https://registry.npmjs.org/';
const EXAMPLE_TIMEOUT = 20_000;
const COMMAND_TIMEOUT = 5 * 60_000;
const REGISTRY_START_TIMEOUT = 60_000;
const TOTAL_TIMEOUT = 20 * 60_000;

const root = resolve(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const started = Date.now();

/** Child processes still running: killed on every way out. */
const children = new Set();
/** Temp directories of this run: removed on every way out. */
const tempDirs = new Set();

function log(message) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[${seconds}s] ${message}`);
}

function tail(text, lines = 40) {
  const all = text.trimEnd().split('\n');
  const shown = all.slice(-lines).join('\n');
  return all.length > lines ? `... (${all.length - lines} lines before)\n${shown}` : shown;
}

const indent = (text) => text.replace(/^/gm, '    ');

/**
 * Runs a command to its end or its timeout (then kills it); resolves with its exit code,
 * signal and output, never rejects.
 */
function run(command, args, { cwd, env = process.env, timeout = COMMAND_TIMEOUT } = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.add(child);
    let output = '';
    let timedOut = false;
    const collect = (chunk) => {
      output += chunk;
      if (output.length > 1_000_000) output = output.slice(-500_000);
    };
    child.stdout.setEncoding('utf8').on('data', collect);
    child.stderr.setEncoding('utf8').on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, timeout);
    const done = (code, signal, error) => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise({ code, signal, timedOut, output: error ? `${output}${error}` : output });
    };
    child.on('error', (error) => done(null, null, error));
    child.on('close', (code, signal) => {
      killGroup(child, 'SIGKILL'); // whatever it left running (an example's stray server)
      done(code, signal);
    });
  });
}

/** {@link run}, throwing with the output unless the command exits 0. */
async function mustRun(label, command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const how = result.timedOut
      ? `timed out after ${(options?.timeout ?? COMMAND_TIMEOUT) / 1000} s`
      : `exited with ${result.code ?? result.signal}`;
    throw new Error(`${label} ${how}:\n${indent(tail(result.output))}`);
  }
  return result.output;
}

/** The URL, if it is a registry on this machine; throws otherwise, so nothing leaves it. */
function loopback(url) {
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'http:' || !['127.0.0.1', '[::1]', 'localhost'].includes(hostname)) {
    throw new Error(`Refusing to use registry ${url}: only a loopback registry is allowed`);
  }
  return url;
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

/**
 * Signals a child's whole process group (each child leads one: `detached`), so what it
 * started (pnpm's npm, an example's workers) goes with it.
 */
function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms) => new Promise((resolvePromise) => setTimeout(resolvePromise, ms));

/**
 * The verdaccio entry point, installed with npm into a cache directory outside the repo the
 * first time (into a staging directory renamed into place, so an interrupted install is
 * never reused).
 */
async function verdaccioEntry() {
  const dir = join(tmpdir(), `net-verdaccio-${VERDACCIO_VERSION}`);
  const entry = join(dir, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  const installed = (base) => {
    try {
      const manifestPath = join(base, 'node_modules', 'verdaccio', 'package.json');
      return JSON.parse(readFileSync(manifestPath, 'utf8')).version === VERDACCIO_VERSION;
    } catch {
      return false;
    }
  };
  if (installed(dir)) {
    log(`verdaccio ${VERDACCIO_VERSION}: reusing ${dir}`);
    return entry;
  }
  log(`verdaccio ${VERDACCIO_VERSION}: installing into ${dir}`);
  const staging = `${dir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  tempDirs.add(staging);
  const manifest = {
    name: 'net-verdaccio',
    private: true,
    dependencies: { verdaccio: VERDACCIO_VERSION },
    overrides: VERDACCIO_OVERRIDES,
  };
  writeFileSync(join(staging, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await mustRun(
    `npm install verdaccio@${VERDACCIO_VERSION}`,
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
    { cwd: staging, env: childEnv() },
  );
  if (!installed(staging)) throw new Error(`npm did not install verdaccio ${VERDACCIO_VERSION}`);
  if (existsSync(dir) && !installed(dir)) rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(staging, dir);
    tempDirs.delete(staging);
  } catch (error) {
    // Another run may have put its copy there first; that one will do.
    if (!installed(dir)) throw error;
  }
  return entry;
}

/** verdaccio's config: @net/* only here (never proxied), the rest from npmjs. */
function verdaccioConfig(work) {
  const quote = (path) => JSON.stringify(path);
  return `storage: ${quote(join(work, 'storage'))}
auth:
  htpasswd:
    file: ${quote(join(work, 'htpasswd'))}
    max_users: 10
uplinks:
  npmjs:
    url: ${UPLINK}
    timeout: 60s
packages:
  '@net/*':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
  '**':
    access: $all
    proxy: npmjs
    # no publish: nobody may publish anything else here
web:
  enable: false
max_body_size: 100mb
log: { type: stdout, format: pretty, level: http }
`;
}

/**
 * The environment of the package-manager commands: this Node first on PATH, inherited npm
 * settings dropped, `npmConfig` (NPM_CONFIG_* variables) added.
 */
function childEnv(npmConfig = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Settings inherited from a calling package manager (registry, userconfig...) must not leak in.
    if (!/^npm_config_/i.test(key)) env[key] = value;
  }
  env.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
  return { ...env, ...npmConfig };
}

/** Starts verdaccio and resolves once it answers; its output goes to `logFile`. */
async function startRegistry(entry, work, logFile) {
  const configFile = join(work, 'config.yaml');
  writeFileSync(configFile, verdaccioConfig(work));
  const port = await freePort();
  const registry = loopback(`http://127.0.0.1:${port}/`);
  const logFd = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [entry, '--config', configFile, '--listen', `127.0.0.1:${port}`],
    { cwd: work, env: childEnv(), stdio: ['ignore', logFd, logFd], detached: true },
  );
  closeSync(logFd);
  children.add(child);
  let exited = null;
  child.on('error', (error) => {
    exited = error.message;
  });
  child.on('exit', (code, signal) => {
    exited = code ?? signal;
    children.delete(child);
  });
  const deadline = Date.now() + REGISTRY_START_TIMEOUT;
  for (;;) {
    if (exited !== null) {
      throw new Error(`verdaccio exited with ${exited} before answering:\n${registryLog(logFile)}`);
    }
    try {
      const response = await fetch(`${registry}-/ping`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `verdaccio did not answer within ${REGISTRY_START_TIMEOUT / 1000} s:\n${registryLog(logFile)}`,
      );
    }
    await sleep(250);
  }
  return { registry, child };
}

function registryLog(logFile) {
  try {
    return indent(tail(readFileSync(logFile, 'utf8')));
  } catch {
    return '    (no verdaccio log)';
  }
}

/** Stops verdaccio: SIGTERM, then SIGKILL if it has not exited within 5 s. */
async function stopRegistry(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** The registry's document for a package: its HTTP status and, if found, its body. */
async function packument(registry, name) {
  const response = await fetch(`${loopback(registry)}${name.replace('/', '%2f')}`, {
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: response.ok ? await response.json() : {} };
}

/** Creates a user on the registry and returns its token. */
async function registryToken(registry) {
  const name = 'net-round-trip';
  const password = `pw-${crypto.randomUUID()}`;
  const response = await fetch(`${loopback(registry)}-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ _id: `org.couchdb.user:${name}`, name, password, type: 'user' }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || typeof body.token !== 'string') {
    throw new Error(`Creating a registry user failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.token;
}

/** The workspace directories named by pnpm-workspace.yaml (`dir` and `dir/*` entries). */
function workspaceDirs() {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const section = /^packages:\s*\n((?:[ \t]+-.*\n?|[ \t]*#.*\n?|\s*\n)*)/m.exec(yaml)?.[1] ?? '';
  const dirs = [];
  for (const [, quoted] of section.matchAll(/^[ \t]+-[ \t]*(.+?)[ \t]*$/gm)) {
    const pattern = quoted.replace(/^['"]|['"]$/g, '');
    if (pattern.startsWith('!')) continue;
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      if (!existsSync(join(root, parent))) continue;
      for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.push(`${parent}/${entry.name}`);
      }
    } else if (!pattern.includes('*')) {
      dirs.push(pattern);
    } else {
      throw new Error(`pnpm-workspace.yaml pattern ${pattern} is not supported by this script`);
    }
  }
  return dirs.filter((dir) => existsSync(join(root, dir, 'package.json')));
}

/**
 * Copies what `changeset version` and `pnpm publish` need into `copy`: the root manifest,
 * workspace file and changesets, every workspace package's manifest, and the whole of each
 * publishable package but its node_modules (so pnpm packs exactly what it would pack here).
 * Returns the publishable packages' directories (relative) by name, and the private ones' names.
 */
function copyWorkspace(copy) {
  for (const file of ['package.json', 'pnpm-workspace.yaml', 'LICENSE', '.changeset']) {
    if (existsSync(join(root, file))) {
      cpSync(join(root, file), join(copy, file), { recursive: true });
    }
  }
  const publishable = new Map();
  const privateNames = [];
  const dirs = new Map();
  for (const dir of workspaceDirs()) {
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    dirs.set(manifest.name, dir);
    if (manifest.private) {
      privateNames.push(manifest.name);
      mkdirSync(join(copy, dir), { recursive: true });
      cpSync(join(root, dir, 'package.json'), join(copy, dir, 'package.json'));
      if (existsSync(join(root, dir, 'CHANGELOG.md'))) {
        cpSync(join(root, dir, 'CHANGELOG.md'), join(copy, dir, 'CHANGELOG.md'));
      }
    } else {
      if (!existsSync(join(root, dir, 'dist'))) {
        throw new Error(`${manifest.name} has no dist/: build the packages first (pnpm build)`);
      }
      cpSync(join(root, dir), join(copy, dir), {
        recursive: true,
        filter: (source) => !source.split(/[\\/]/).includes('node_modules'),
      });
      publishable.set(manifest.name, dir);
    }
  }
  // pnpm replaces `workspace:` ranges with the version in node_modules/<dep>/package.json, so
  // each package gets the links `pnpm install` would make, to the copy's (versioned) packages.
  for (const dir of publishable.values()) {
    const manifest = JSON.parse(readFileSync(join(copy, dir, 'package.json'), 'utf8'));
    for (const field of DEPENDENCY_FIELDS) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        if (!String(range).startsWith('workspace:')) continue;
        if (!dirs.has(dep)) {
          throw new Error(`${manifest.name} depends on ${dep}, which is not in the workspace`);
        }
        const link = join(copy, dir, 'node_modules', ...dep.split('/'));
        if (existsSync(link)) continue;
        mkdirSync(dirname(link), { recursive: true });
        symlinkSync(join(copy, dirs.get(dep)), link, 'dir');
      }
    }
  }
  return { publishable, privateNames };
}

const DEPENDENCY_FIELDS = [
  'dependencies',
  'devDependencies',
  'peerDependencies',
  'optionalDependencies',
];

/** The README's quick example: the ts/js block right after `<!-- example: quick -->`. */
function quickExample(file, readmePath) {
  if (!existsSync(file)) throw new Error(`${readmePath} does not exist`);
  const quick = readmeBlocks(file, readmePath).find(({ name }) => name === 'quick');
  if (quick === undefined) {
    throw new Error(
      `no quick example: ${readmePath} has no "<!-- example: quick -->" line followed by a ts/js block`,
    );
  }
  return quick.code;
}

/**
 * The example as an ES module (top-level await works there) and as CommonJS (its body wrapped
 * in an async function, its imports left at the top so they become `require(...)`), and the
 * @net packages it imports.
 */
function exampleModules(code) {
  const compilerOptions = {
    target: ts.ScriptTarget.ES2022,
    verbatimModuleSyntax: false,
    esModuleInterop: true,
  };
  const esm = ts.transpileModule(code, {
    compilerOptions: { ...compilerOptions, module: ts.ModuleKind.ESNext },
    reportDiagnostics: false,
  }).outputText;
  const source = ts.createSourceFile('quick.ts', code, ts.ScriptTarget.Latest, false);
  const imports = [];
  const body = [];
  const netPackages = new Set();
  for (const statement of source.statements) {
    const text = code.slice(statement.pos, statement.end);
    if (ts.isImportDeclaration(statement) || ts.isImportEqualsDeclaration(statement)) {
      imports.push(text);
      const specifier = ts.isImportDeclaration(statement)
        ? statement.moduleSpecifier
        : statement.moduleReference.expression;
      const name = /^(@net\/[^/]+)/.exec(specifier?.text ?? '')?.[1];
      if (name) netPackages.add(name);
    } else {
      body.push(text);
    }
  }
  const wrapped = `${imports.join('')}
(async () => {${body.join('')}
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;
  const cjs = ts.transpileModule(wrapped, {
    compilerOptions: { ...compilerOptions, module: ts.ModuleKind.CommonJS },
    reportDiagnostics: false,
  }).outputText;
  return { esm, cjs, netPackages };
}

/** Installs the package by name into a fresh project and runs its quick example both ways. */
async function roundTrip({ name, version, dir, dependencies }, { registry, work, env }) {
  const status = { name, version, steps: [], problems: [] };
  const short = name.slice('@net/'.length);
  const project = join(work, 'projects', short);
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: `round-trip-${short}`, version: '1.0.0', private: true }, null, 2)}\n`,
  );
  let example;
  try {
    const readme = `${dir}/README.md`;
    example = exampleModules(quickExample(join(work, 'repo', readme), readme));
  } catch (error) {
    status.problems.push(error.message);
  }
  // An @net package the example imports that is not a dependency comes by name as well.
  const extra = [...(example?.netPackages ?? [])].filter(
    (imported) => imported !== name && !(imported in dependencies),
  );
  try {
    await mustRun(
      `npm install ${[name, ...extra].join(' ')}`,
      'npm',
      [
        'install',
        name,
        ...extra,
        '--registry',
        loopback(registry),
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--omit-lockfile-registry-resolved=false',
        '--loglevel=error',
      ],
      { cwd: project, env },
    );
    const installed = JSON.parse(
      readFileSync(join(project, 'node_modules', ...name.split('/'), 'package.json'), 'utf8'),
    );
    if (installed.version !== version) {
      throw new Error(`installed ${name}@${installed.version}, but ${version} was just published`);
    }
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
    for (const [path, entry] of Object.entries(lock.packages ?? {})) {
      if (!path.includes('node_modules/@net/')) continue;
      if (!entry.resolved?.startsWith(registry)) {
        throw new Error(`${path} was not installed from ${registry} (resolved: ${entry.resolved})`);
      }
    }
    status.steps.push('installed');
  } catch (error) {
    status.steps.push('install FAILED');
    status.problems.push(error.message);
    return status;
  }
  if (example === undefined) {
    status.steps.push('NO quick example');
    return status;
  }
  for (const [kind, file, text] of [
    ['import', 'quick.mjs', example.esm],
    ['require', 'quick.cjs', example.cjs],
  ]) {
    writeFileSync(join(project, file), text);
    const result = await run(process.execPath, [file], {
      cwd: project,
      env: process.env,
      timeout: EXAMPLE_TIMEOUT,
    });
    if (result.code === 0) {
      status.steps.push(`${kind} ok`);
    } else {
      const how = result.timedOut
        ? `timed out after ${EXAMPLE_TIMEOUT / 1000} s`
        : `exited with ${result.code ?? result.signal}`;
      status.steps.push(`${kind} FAILED`);
      status.problems.push(
        `the quick example as ${file} (${kind}) ${how}:\n${indent(tail(result.output || '(no output)'))}`,
      );
    }
  }
  return status;
}

function cleanUpNow() {
  for (const child of children) killGroup(child, 'SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the registry and removing temp files`);
    cleanUpNow();
    process.exit(code);
  });
}
setTimeout(() => {
  console.error(`\nThe round trip took over ${TOTAL_TIMEOUT / 60_000} min: giving up`);
  cleanUpNow();
  process.exit(1);
}, TOTAL_TIMEOUT).unref();

async function main() {
  log(`Node ${process.version}, repo ${root}`);
  const entry = await verdaccioEntry();
  const work = mkdtempSync(join(tmpdir(), 'net-registry-round-trip-'));
  tempDirs.add(work);
  const logFile = join(work, 'verdaccio.log');
  let registryChild;
  try {
    const { registry, child } = await startRegistry(entry, work, logFile);
    registryChild = child;
    log(`verdaccio answering at ${registry} (log: ${logFile})`);

    // npm and pnpm read only this config (and the token in it is for the local registry only).
    const npmrc = join(work, 'npmrc');
    const token = await registryToken(registry);
    const { host } = new URL(registry);
    writeFileSync(npmrc, `//${host}/:_authToken=${token}\n`);
    const env = childEnv({
      NPM_CONFIG_USERCONFIG: npmrc,
      NPM_CONFIG_CACHE: join(work, 'npm-cache'),
      NPM_CONFIG_UPDATE_NOTIFIER: 'false',
    });

    const copy = join(work, 'repo');
    const { publishable, privateNames } = copyWorkspace(copy);
    // Nothing of ours on the registry yet: @net/* is not proxied from npmjs.
    for (const name of [...publishable.keys(), ...privateNames]) {
      const { status } = await packument(registry, name);
      if (status !== 404) throw new Error(`${name} answered ${status} before publishing, not 404`);
    }
    log(`copied the workspace to ${copy}; versioning with changesets`);
    await mustRun('changeset version', bin('changeset'), ['version'], { cwd: copy, env });
    const left = readdirSync(join(copy, '.changeset')).filter(
      (file) => file.endsWith('.md') && file !== 'README.md',
    );
    if (left.length > 0) throw new Error(`changeset version left ${left.join(', ')} unapplied`);
    const packages = [...publishable].map(([name, dir]) => {
      const manifest = JSON.parse(readFileSync(join(copy, dir, 'package.json'), 'utf8'));
      const before = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).version;
      return {
        name,
        dir,
        before,
        version: manifest.version,
        dependencies: manifest.dependencies ?? {},
      };
    });
    log(
      `versions: ${packages.map(({ name, before, version }) => `${name} ${before} -> ${version}`).join(', ')}`,
    );

    log('pnpm publish -r');
    await mustRun(
      'pnpm publish -r',
      bin('pnpm'),
      ['publish', '-r', '--registry', loopback(registry), '--no-git-checks'],
      { cwd: copy, env },
    );
    // What the registry serves: every package at its new version, workspace: ranges replaced.
    for (const { name, version } of packages) {
      const { body } = await packument(registry, name);
      const published = body.versions?.[version];
      if (published === undefined || body['dist-tags']?.latest !== version) {
        throw new Error(`${name}@${version} is not the latest on the registry after publishing`);
      }
      const ranges = DEPENDENCY_FIELDS.flatMap((field) => Object.entries(published[field] ?? {}));
      const unresolved = ranges.filter(([, range]) => String(range).startsWith('workspace:'));
      if (unresolved.length > 0) {
        throw new Error(`${name}@${version} was published with ${JSON.stringify(unresolved)}`);
      }
    }
    for (const name of privateNames) {
      const { status } = await packument(registry, name);
      if (status !== 404) throw new Error(`${name} is private but was published (${status})`);
    }
    log(`published ${packages.length} packages; installing each by name`);

    const results = [];
    for (const pkg of packages) {
      const status = await roundTrip(pkg, { registry, work, env });
      log(`${status.name} ${status.version}: ${status.steps.join(', ') || 'FAILED'}`);
      results.push(status);
    }

    const failed = results.filter((status) => status.problems.length > 0);
    console.log(`\nRegistry round trip (Node ${process.version}, ${registry}):`);
    for (const status of results) {
      // A failure no step names (an example that could not be transpiled) still shows.
      const unnamed =
        status.problems.length > 0 && !status.steps.some((step) => /FAIL|NO /.test(step));
      const steps = unnamed ? [...status.steps, 'FAILED'] : status.steps;
      console.log(`${status.name} ${status.version}: ${steps.join(', ')}`);
    }
    for (const status of failed) {
      console.log(`\n${status.name} ${status.version} failed:`);
      for (const problem of status.problems) console.log(indent(problem));
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    if (failed.length > 0) {
      console.log(`\n${failed.length} of ${results.length} packages failed (${seconds} s)`);
      return 1;
    }
    console.log(`\nAll ${results.length} packages passed (${seconds} s)`);
    return 0;
  } catch (error) {
    console.error(`\n${error.message}`);
    if (existsSync(logFile)) console.error(`\nverdaccio log (tail):\n${registryLog(logFile)}`);
    return 1;
  } finally {
    if (registryChild) await stopRegistry(registryChild);
    rmSync(work, { recursive: true, force: true });
    tempDirs.delete(work);
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`\n${error.message}`);
  process.exitCode = 1;
} finally {
  cleanUpNow();
}
