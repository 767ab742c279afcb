/**
 * `@net/test-peers` (private, never published): what the interop tests of every `@net`
 * package need from an independent peer. {@link requirePeer} fails (never skips) when the
 * peer is missing, naming what to install; {@link runPeer} runs it to completion with a
 * deadline and hands back its exit code and output.
 *
 * @example
 * ```ts
 * import { PYTHON, requirePython, runPeer } from '@net/test-peers';
 *
 * requirePython();
 * const { code, output } = await runPeer(PYTHON, ['client.py', String(port)]);
 * ```
 *
 * @packageDocumentation
 */
import { spawn, spawnSync } from 'node:child_process';

/** The Python the interop tests run (pyenv's 3.11 here and on CI), overridable with `PYTHON`. */
export const PYTHON = process.env.PYTHON ?? 'python3';

/** Throws (so the test fails, never skips) unless `command args` runs and exits 0. */
export function requirePeer(command: string, args: string[], install: string): void {
  const probe = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(`This interop test needs "${command}" (${install})`);
  }
}

/** {@link requirePeer} for the Python interop peers: Python 3.9 or newer. */
export function requirePython(command: string = PYTHON): void {
  requirePeer(
    command,
    ['-c', 'import sys; assert sys.version_info >= (3, 9)'],
    'Python 3.9+; Debian: apt-get install python3',
  );
}

/** What {@link runPeer} resolves with. */
export interface PeerResult {
  /** Exit code; `null` when a signal (the deadline's, for one) ended it. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, in the order they arrived. */
  output: string;
}

/** Options of {@link runPeer}. */
export interface RunPeerOptions {
  /** Written to stdin; stdin is closed after it unless `keepStdinOpen`. */
  input?: string;
  keepStdinOpen?: boolean;
  /** Ms before the peer is killed (SIGKILL). Default 20,000. */
  timeout?: number;
  env?: NodeJS.ProcessEnv;
  /** The peer's working directory. Default: this process's. */
  cwd?: string;
  /** Called with all of stdout so far, each time more arrives. */
  onStdout?: (stdout: string) => void;
  /** Kills the peer (SIGKILL) when it aborts: a test's cleanup stops a server it started. */
  signal?: AbortSignal;
}

/** Runs `command args` to completion, killed after `timeout` or on `signal`; never rejects. */
export function runPeer(
  command: string,
  args: string[],
  options: RunPeerOptions = {},
): Promise<PeerResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env,
      cwd: options.cwd,
    });
    let stdout = '';
    let stderr = '';
    let output = '';
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(kill, options.timeout ?? 20_000);
    if (options.signal?.aborted) kill();
    else options.signal?.addEventListener('abort', kill, { once: true });
    child.stdout.on('data', (data) => {
      stdout += data;
      output += data;
      options.onStdout?.(stdout);
    });
    child.stderr.on('data', (data) => {
      stderr += data;
      output += data;
    });
    child.stdin.on('error', () => undefined); // a peer that exits before reading its input
    if (options.input !== undefined) child.stdin.write(options.input);
    if (!options.keepStdinOpen) child.stdin.end();
    child.on('error', (error) => {
      stderr += String(error);
      output += String(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', kill);
      resolve({ code, stdout, stderr, output });
    });
  });
}

/** A peer that serves until it exits or is stopped: see {@link startPeer}. */
export interface RunningPeer {
  /** What `ready` matched in its stdout (`match[1]`: the port it printed, say). */
  match: RegExpExecArray;
  /** Its exit and output, once it exits by itself (or is stopped). */
  result: Promise<PeerResult>;
  /** Kills it if it still runs; resolves with its exit and output. */
  stop(): Promise<PeerResult>;
}

/** The stop() of every peer startPeer started, until it is stopped: for {@link stopPeers}. */
const running = new Set<() => Promise<PeerResult>>();

/**
 * Starts `command args` (a server) as {@link runPeer} does and resolves once its stdout
 * matches `ready`; rejects, with its output, if it exits (or its `timeout` passes) first.
 * Call {@link stopPeers} in `afterEach`, so a failed test leaves nothing running.
 */
export async function startPeer(
  command: string,
  args: string[],
  ready: RegExp,
  options: RunPeerOptions = {},
): Promise<RunningPeer> {
  const kill = new AbortController();
  let matched: (match: RegExpExecArray) => void = () => undefined;
  const readyMatch = new Promise<RegExpExecArray>((resolve) => {
    matched = resolve;
  });
  const result = runPeer(command, args, {
    ...options,
    signal: kill.signal,
    onStdout: (stdout) => {
      options.onStdout?.(stdout);
      const match = ready.exec(stdout);
      if (match !== null) matched(match);
    },
  });
  const stop = () => {
    kill.abort();
    running.delete(stop);
    return result;
  };
  running.add(stop);
  const match = await Promise.race([readyMatch, result.then(() => null)]);
  if (match === null) {
    running.delete(stop);
    const { code, output } = await result;
    throw new Error(
      `${[command, ...args].join(' ')} exited (${code}) before printing ${ready}:\n${output}`,
    );
  }
  return { match, result, stop };
}

/** Stops every peer {@link startPeer} started that still runs, and waits for them to exit. */
export async function stopPeers(): Promise<void> {
  await Promise.all([...running].map((stop) => stop()));
}

export { freePort, thrown } from './helpers.js';
export {
  type ReadmeExample,
  type RunExampleOptions,
  readmeExample,
  readmeExamples,
  readmeTableNames,
  runExample,
  startExample,
} from './readme-examples.js';
export {
  type HoldSilentClientsOptions,
  holdSilentClients,
  openFds,
  type SilentReport,
} from './silent-clients.js';
