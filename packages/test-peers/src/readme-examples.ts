/**
 * README examples as a new user runs them. A fenced `ts`, `js` or `python` block right after
 * a line `<!-- example: NAME -->` is a whole program (a Python block may use names the test
 * defines first, such as `port`): {@link readmeExamples} extracts it and, for ts/js,
 * {@link runExample} strips its types and runs it with Node in a scratch project whose
 * `node_modules/@net/*` link to the built workspace packages, so it imports `@net/<name>`
 * through each package's exports map, as an installed copy would be imported.
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PeerResult, type RunningPeer, runPeer, startPeer } from './index.js';

/** One runnable block of a README. */
export interface ReadmeExample {
  /** The NAME of its `<!-- example: NAME -->` marker. */
  name: string;
  /** The block's language. */
  lang: 'ts' | 'js' | 'python';
  /** The block's code, as written. */
  code: string;
  /** Line of the README where the code starts (1-based), for failure messages. */
  line: number;
}

const MARKER = /^<!--\s*example:\s*([\w-]+)\s*-->\s*$/;
const FENCE = /^```(ts|js|python)\s*$/;

/** The marked examples of a README, in order; throws on a marker not followed by a ts/js/python block. */
export function readmeExamples(readme: string | URL): ReadmeExample[] {
  const path = readme instanceof URL ? fileURLToPath(readme) : readme;
  const lines = readFileSync(path, 'utf8').split('\n');
  const examples: ReadmeExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const name = MARKER.exec(lines[i]!)?.[1];
    if (name === undefined) continue;
    const lang = FENCE.exec(lines[i + 1] ?? '')?.[1] as ReadmeExample['lang'] | undefined;
    if (lang === undefined) {
      throw new Error(
        `${path}:${i + 1}: example "${name}" must be followed by a ts, js or python block`,
      );
    }
    const end = lines.indexOf('```', i + 2);
    if (end === -1) throw new Error(`${path}:${i + 2}: example "${name}" is never closed`);
    if (examples.some((example) => example.name === name)) {
      throw new Error(`${path}:${i + 1}: two examples are named "${name}"`);
    }
    examples.push({ name, lang, code: lines.slice(i + 2, end).join('\n'), line: i + 3 });
    i = end;
  }
  return examples;
}

/** The example `name` of a README; throws when it has none of that name. */
export function readmeExample(readme: string | URL, name: string): ReadmeExample {
  const example = readmeExamples(readme).find((candidate) => candidate.name === name);
  if (example === undefined) throw new Error(`${String(readme)} has no example "${name}"`);
  return example;
}

/**
 * The names in backticks in the first cell of every table row of a README (`| \`timeout\`,
 * \`signal\` | ...` gives both; a call such as \`onError(error)\` gives `onError`): the
 * options its tables document, for checking them against a defaults constant.
 */
export function readmeTableNames(readme: string | URL): Set<string> {
  const path = readme instanceof URL ? fileURLToPath(readme) : readme;
  const names = new Set<string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const cell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (cell === undefined) continue;
    for (const [, name] of cell.matchAll(/`([A-Za-z_$][\w$]*)[^`]*`/g)) names.add(name!);
  }
  return names;
}

/** The workspace's `packages/` directory (this file is in packages/test-peers/src). */
const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));

/** Options of {@link runExample}. */
export interface RunExampleOptions {
  /** Ms before the example is killed. Default 20,000. */
  timeout?: number;
  /** The example's environment. Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** The Node binary. Default: the one running the tests. */
  node?: string;
  /** Other files of the program, written next to it: file name → content (a module it imports). */
  files?: Record<string, string>;
}

/**
 * Writes an example as an ES module (top-level `await` works) into a fresh scratch project
 * whose `@net/*` are the built workspace packages; returns the project and the file.
 */
async function scratchProject(
  example: ReadmeExample,
  files: Record<string, string> = {},
): Promise<{ project: string; file: string }> {
  if (example.lang === 'python') {
    throw new Error(`example "${example.name}" is Python: run it with runPeer(PYTHON, ...)`);
  }
  const project = mkdtempSync(join(tmpdir(), `net-example-${example.name}-`));
  const scope = join(project, 'node_modules', '@net');
  mkdirSync(scope, { recursive: true });
  for (const name of readdirSync(PACKAGES)) {
    if (name === 'test-peers') continue;
    symlinkSync(join(PACKAGES, name), join(scope, name), 'dir');
  }
  writeFileSync(join(project, 'package.json'), '{ "type": "module", "private": true }\n');
  // Loaded here, not at the top: every test file imports this package, few run examples,
  // and loading TypeScript costs about a second per test file.
  const { default: ts } = await import('typescript');
  const { outputText } = ts.transpileModule(example.code, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: false,
    },
    reportDiagnostics: false,
  });
  const file = join(project, `${example.name}.mjs`);
  writeFileSync(file, outputText);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(project, name), content);
  return { project, file };
}

/**
 * Runs an example in a fresh scratch project, which is also its working directory (files
 * it writes go away with it), killed after `timeout`; resolves with its exit code and
 * output, never rejects. The packages must be built (`dist/`), as they are before the test
 * suite runs.
 */
export async function runExample(
  example: ReadmeExample,
  options: RunExampleOptions = {},
): Promise<PeerResult> {
  const { project, file } = await scratchProject(example, options.files);
  try {
    return await runPeer(options.node ?? process.execPath, [file], {
      timeout: options.timeout ?? 20_000,
      env: options.env,
      cwd: project,
    });
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

/**
 * Starts an example that serves until stopped (a server), in a scratch project as
 * {@link runExample} does, through {@link startPeer}: resolves once its stdout matches
 * `ready`, rejects with its output if it exits first. The project goes when it exits;
 * {@link stopPeers} in `afterEach` stops it if the test did not.
 */
export async function startExample(
  example: ReadmeExample,
  ready: RegExp,
  options: RunExampleOptions = {},
): Promise<RunningPeer> {
  const { project, file } = await scratchProject(example, options.files);
  const removeProject = () => rmSync(project, { recursive: true, force: true });
  try {
    const peer = await startPeer(options.node ?? process.execPath, [file], ready, {
      timeout: options.timeout ?? 20_000,
      env: options.env,
      cwd: project,
    });
    void peer.result.then(removeProject);
    return peer;
  } catch (error) {
    removeProject(); // it exited before it was ready
    throw error;
  }
}
