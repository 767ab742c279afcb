/**
 * `demo`: starts `serve` on free ports in a child process, runs `check` against it, prints
 * the table and resolves `true` only if every endpoint passed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CHECK_DEFAULTS, formatTable, progressBar, runCheck } from './check.js';
import { ENDPOINTS, type Ports } from './config.js';
import { DemoError } from './errors.js';
import { readSecretFile, withoutSecret } from './secret.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  host: string;
  bulkBytes: number;
  /** Keep the state (certificates, secret) here; default: a temporary directory, removed after. */
  stateDir?: string | undefined;
  timeout?: number | undefined;
}

interface Ready {
  event: 'ready';
  ports: Ports;
  caCert: string;
  secretFile: string | null;
  pid: number;
}

/** Runs the demo; resolves whether every check passed. */
export async function runDemo(options: DemoOptions): Promise<boolean> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'net-echo-demo-')));
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
  const args = [cli, 'serve', '--host', options.host, '--state-dir', stateDir];
  for (const name of ENDPOINTS) args.push(`--${name}-port`, '0');
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: withoutSecret(process.env),
  });
  const logs: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (text: string) => logs.push(text));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  try {
    process.stderr.write('net-echo demo: starting serve on free ports...\n');
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new DemoError('serve did not print its ready line within 30 s')),
        30_000,
      );
      const lines = createInterface({ input: child.stdout });
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as Ready);
        } catch (error) {
          reject(
            new DemoError(`serve printed something that is not the ready line: ${line}`, error),
          );
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(
          new DemoError(`serve exited with code ${code} before it was ready:\n${logs.join('')}`),
        );
      });
    });
    process.stderr.write(
      `net-echo demo: serve is ready (pid ${ready.pid}): ${JSON.stringify(ready.ports)}\n`,
    );
    const key = await readSecretFile(ready.secretFile as string);
    const results = await runCheck({
      host: options.host,
      ports: ready.ports,
      key,
      ca: await readFile(ready.caCert, 'utf8'),
      bulkBytes: options.bulkBytes,
      timeout: options.timeout ?? CHECK_DEFAULTS.timeout,
      onBulkProgress: progressBar('bulk round trip'),
    });
    process.stdout.write(`${formatTable(results)}\n`);
    const ok = results.every((r) => r.ok);
    child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) {
      process.stderr.write(`net-echo demo: serve exited with code ${code}:\n${logs.join('')}`);
      return false;
    }
    process.stdout.write(ok ? 'all endpoints passed\n' : 'some endpoints FAILED\n');
    if (!ok) process.stderr.write(logs.join(''));
    return ok;
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    if (options.stateDir === undefined) await rm(stateDir, { recursive: true, force: true });
  }
}
