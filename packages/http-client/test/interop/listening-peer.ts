// A server program (nginx, Apache httpd, lighttpd) run as a foreground child on a free port
// for the interop tests: started again on another port when that one was taken meanwhile,
// ready once the port accepts connections, stopped with SIGTERM (SIGKILL after 3 s).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@net/test-peers';

/** A started server. */
export interface ListeningPeer {
  child: ChildProcess;
  port: number;
  /** Ends the server; resolves once it exited. */
  stop: () => Promise<void>;
}

/** Throws, naming the Debian package to install, when `path` (a program or module) is missing. */
export function requireInstalled(path: string, debianPackage: string): void {
  if (!existsSync(path)) {
    throw new Error(
      `${path} not found: install the Debian package ${debianPackage} (apt-get install ${debianPackage})`,
    );
  }
}

/**
 * Starts `name` on a free port: `configure(port)` writes its config and returns its command
 * line. Waits up to 5 s for the port; a start that fails because the port is in use (said on
 * its output or in `errorLog`) is tried again on another port, at most 5 times.
 */
export async function startListeningPeer(
  name: string,
  configure: (port: number) => Promise<string[]>,
  errorLog?: string,
): Promise<ListeningPeer> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const [command, ...args] = await configure(port);
    const child = spawn(command as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk;
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    for (let i = 0; i < 100 && !exited; i++) {
      if (await canConnect(port)) return { child, port, stop: () => stop(child) };
      await sleep(50);
    }
    child.kill('SIGKILL');
    const logged = errorLog === undefined ? '' : await readFile(errorLog, 'utf8').catch(() => '');
    if (!`${output}${logged}`.includes('in use')) {
      throw new Error(`${name} did not start: ${output || logged || 'no output within 5 s'}`);
    }
  }
  throw new Error(`${name} could not find a free port in 5 attempts`);
}

const NGINX = '/usr/sbin/nginx';

/**
 * Starts nginx (Debian's) in the foreground with its files in `dir` (which needs a `tmp`
 * folder): `http(port)` gives the directives of its `http` block besides the temp paths.
 */
export async function startNginx(
  dir: string,
  http: (port: number) => string,
): Promise<ListeningPeer> {
  requireInstalled(NGINX, 'nginx');
  const errorLog = join(dir, 'error.log');
  return startListeningPeer(
    'nginx',
    async (port) => {
      const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
        .map((name) => `  ${name}_temp_path ${dir}/tmp/${name.replace('client_', '')};`)
        .join('\n');
      const conf = `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${errorLog};
events { worker_connections 64; }
http {
${temp}
${http(port)}
}
`;
      await writeFile(join(dir, 'nginx.conf'), conf);
      return [NGINX, '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', errorLog];
    },
    errorLog,
  );
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(3000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
