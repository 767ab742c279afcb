import { spawn, spawnSync } from 'node:child_process';

/** Fails (never skips) when an interop peer is missing, naming what to install. */
export function requirePeer(command: string, args: string[], install: string): void {
  const probe = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(`This interop test needs "${command}" (${install})`);
  }
}

/** The python3 the interop tests use (pyenv's 3.11 on CI), overridable with PYTHON. */
export const python = process.env.PYTHON ?? 'python3';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command` with `input` on stdin (stdin closed after it unless `keepStdinOpen`),
 * killed after `timeout` ms; resolves with its exit code and output.
 */
export function run(
  command: string,
  args: string[],
  options: {
    input?: string;
    timeout?: number;
    keepStdinOpen?: boolean;
    onStdout?: (text: string) => void;
  } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 15_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      options.onStdout?.(stdout);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdin.on('error', () => undefined);
    if (options.input !== undefined) child.stdin.write(options.input);
    if (!options.keepStdinOpen) child.stdin.end();
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
