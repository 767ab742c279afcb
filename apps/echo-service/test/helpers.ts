/** Helpers of the end-to-end tests: the real CLI in a child process, Python peers. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequestRaw } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { STATS_MIN_INTERVAL_MS } from '../src/http.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The built CLI. */
export const CLI = join(here, '..', 'dist', 'cli.js');
/** Folder of the Python peers. */
export const INTEROP = join(here, 'interop');

/** The ready line of `serve`. */
export interface Ready {
  event: string;
  ports: Record<'tcp' | 'tls' | 'udp' | 'time' | 'http' | 'bulk' | 'ipc', number>;
  caCert: string;
  secretFile: string | null;
  pid: number;
}

/** A `serve` child process. */
export interface Served {
  ready: Ready;
  readyFile: string;
  stateDir: string;
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
  /** SIGTERM (SIGKILL after 10 s), then remove the state dir. */
  stop(): Promise<number | null>;
}

/** Short timeouts so that bad-input tests finish quickly. */
export const FAST_FLAGS = [
  '--auth-timeout',
  '1000',
  '--idle-timeout',
  '3000',
  '--handshake-timeout',
  '1000',
  '--close-timeout',
  '1000',
  '--max-body-bytes',
  '65536',
  '--max-bulk-bytes',
  '67108864',
  '--max-ipc-message',
  '1048576',
  '--shed-delay-ms',
  '0',
];

/** Every port flag set to 0. */
export const FREE_PORTS = ['tcp', 'tls', 'udp', 'time', 'http', 'bulk', 'ipc'].flatMap((n) => [
  `--${n}-port`,
  '0',
]);

/** Starts `net-echo serve` on free ports with a temporary state dir; resolves at the ready line. */
export async function serve(
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
  options: { stateDir?: string } = {},
): Promise<Served> {
  if (!existsSync(CLI))
    throw new Error(
      `${CLI} is missing: build the app first (pnpm --filter @net/echo-service build)`,
    );
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'net-echo-test-')));
  const baseEnv = { ...process.env };
  delete baseEnv.NET_ECHO_SECRET;
  const child = spawn(
    process.execPath,
    [CLI, 'serve', ...FREE_PORTS, '--state-dir', stateDir, ...FAST_FLAGS, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...baseEnv, ...env } },
  );
  let errText = '';
  child.stderr!.setEncoding('utf8').on('data', (t: string) => {
    errText += t;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ready line in 20 s:\n${errText}`)),
        20_000,
      );
      createInterface({ input: child.stdout! }).once('line', (l) => {
        clearTimeout(timer);
        resolve(l);
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited (${code}) before ready:\n${errText}`));
      });
    });
    const ready = JSON.parse(line) as Ready;
    const readyFile = join(stateDir, 'ready.json');
    await writeFile(readyFile, line);
    return {
      ready,
      readyFile,
      stateDir,
      child,
      stderr: () => errText,
      exited,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const code = await exited;
        clearTimeout(timer);
        await rm(stateDir, { recursive: true, force: true });
        return code;
      },
    };
  } catch (error) {
    await kill();
    throw error;
  }
}

/** Result of a child command. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command (bounded by `timeout` ms); never rejects on a non-zero exit. */
export function run(
  file: string,
  args: string[],
  options: { timeout?: number; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeout ?? 30_000, env: options.env ?? process.env, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { code?: unknown }) | null;
        if (e && e.code === 'ENOENT') {
          reject(
            new Error(
              `${file} is not installed: install it (python3, openssl, curl) to run these tests`,
            ),
          );
          return;
        }
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : (child.exitCode ?? 1)) : 0,
          stdout,
          stderr,
        });
      },
    );
    if (options.input !== undefined) child.stdin!.end(options.input);
    else child.stdin!.end();
  });
}

/** Runs the CLI with arguments. */
export function cli(args: string[], options: { timeout?: number; env?: NodeJS.ProcessEnv } = {}) {
  return run(process.execPath, [CLI, ...args], options);
}

/** Runs one of the Python peers with pyenv's python3 (3.11). */
export function python(script: string, args: (string | number)[], timeout = 30_000) {
  return run('python3', [join(INTEROP, script), ...args.map(String)], { timeout });
}

/** Runs a Python peer with Debian's /usr/bin/python3, the one that has NumPy. */
export async function numpyPython(script: string, args: (string | number)[], timeout = 30_000) {
  if (!existsSync('/usr/bin/python3')) {
    throw new Error(
      '/usr/bin/python3 is missing: install python3 and python3-numpy (Debian) to run the bulk interop test',
    );
  }
  return run('/usr/bin/python3', [join(INTEROP, script), ...args.map(String)], { timeout });
}

/** Resident memory of a process, bytes (VmRSS). */
export async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** `check --ports-from` against a served instance. */
export function checkAgainst(served: Served, extra: string[] = []) {
  return cli(
    [
      'check',
      '--ports-from',
      served.readyFile,
      '--state-dir',
      served.stateDir,
      '--bulk-bytes',
      '4194304',
      ...extra,
    ],
    { timeout: 60_000 },
  );
}

/** GET a JSON document from the http endpoint. */
// biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary JSON documents
export async function getJson(port: number, path: string): Promise<any> {
  // /stats answers are shared for STATS_MIN_INTERVAL_MS: wait that long so the answer is
  // built after whatever the test just did.
  if (path === '/stats') await sleep(STATS_MIN_INTERVAL_MS + 50);
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return res.json();
}

/** One `serve` child for a whole test file: started before, stopped after. */
export function useServe(extra: string[] = []): () => Served {
  let served: Served | undefined;
  beforeAll(async () => {
    served = await serve(extra);
  }, 30_000);
  afterAll(async () => {
    await served?.stop();
  });
  return () => {
    if (!served) throw new Error('serve did not start');
    return served;
  };
}

/** A pyenv Python (e.g. '3.12.1') running one of the peers, failing with what to install. */
export async function pyenvPython(version: string, script: string, args: (string | number)[]) {
  const root = await run('pyenv', ['root']).catch(() => undefined);
  const bin =
    root && root.code === 0 ? join(root.stdout.trim(), 'versions', version, 'bin', 'python3') : '';
  if (!bin || !existsSync(bin)) {
    throw new Error(
      `Python ${version} is missing: install it with pyenv (pyenv install ${version})`,
    );
  }
  return run(bin, [join(INTEROP, script), ...args.map(String)], { timeout: 30_000 });
}

/** One HTTP request with any `Host` header (fetch cannot set it); resolves status, headers and body. */
export function httpRequest(
  port: number,
  options: {
    method?: string;
    path?: string;
    host?: string | null;
    headers?: Record<string, string>;
    body?: string | Buffer;
  } = {},
): Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.host !== null) headers.host = options.host ?? `127.0.0.1:${port}`;
    const req = httpRequestRaw(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers,
        setHost: false,
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(options.body);
  });
}
