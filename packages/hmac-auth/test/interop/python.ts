import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { cleanupList } from '../helpers.js';

function pyenvRoot(): string {
  const probe = spawnSync('pyenv', ['root'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : `${process.env.HOME}/.pyenv`;
}

/** The two Python generations whose multiprocessing handshakes differ. */
export const PYTHONS = [
  { version: '3.11', command: process.env.PYTHON311 ?? 'python3' },
  {
    version: '3.12',
    command: process.env.PYTHON312 ?? `${pyenvRoot()}/versions/3.12.1/bin/python3`,
  },
] as const;

export type Python = (typeof PYTHONS)[number];

/** Fails (never skips) when the interpreter is missing or of another version. */
export function requirePython({ version, command }: Python): void {
  const probe = spawnSync(command, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0 || probe.stdout.trim() !== version) {
    throw new Error(
      `This interop test needs Python ${version} as "${command}" (got ${probe.stdout?.trim() || probe.error?.message || 'nothing'}); ` +
        `install it (pyenv install ${version}) or point PYTHON${version.replace('.', '')} at it`,
    );
  }
}

/** A Python peer script from this folder; read its stdout line by line. */
export class PythonPeer {
  readonly child: ChildProcessWithoutNullStreams;
  #output = '';
  #stderr = '';

  constructor(python: Python, script: string, args: string[]) {
    requirePython(python);
    const path = fileURLToPath(new URL(script, import.meta.url));
    this.child = spawn(python.command, [path, ...args]);
    this.child.stdout.setEncoding('utf8').on('data', (data: string) => {
      this.#output += data;
    });
    this.child.stderr.setEncoding('utf8').on('data', (data: string) => {
      this.#stderr += data;
    });
  }

  /** Resolves with the first output line starting with `prefix` (bounded by `timeout`). */
  async line(prefix = '', timeout = 10_000): Promise<string> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = this.#output.split('\n').find((l) => l.startsWith(prefix) && l.length > 0);
      if (found !== undefined && this.#output.includes(`${found}\n`)) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(
          `Python peer printed no "${prefix}" line:\n${this.#output}\n${this.#stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async exit(timeout = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const timer = setTimeout(() => this.child.kill(), timeout);
    const [code] = (await once(this.child, 'exit')) as [number | null];
    clearTimeout(timer);
    return code;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}

/** Starts a Python peer that is killed after the test. */
export function startPython(
  cleanups: (() => void)[],
  ...args: ConstructorParameters<typeof PythonPeer>
): PythonPeer {
  const peer = new PythonPeer(...args);
  cleanups.push(() => peer.kill());
  return peer;
}

/** Our server on 127.0.0.1 port 0; resolves with its port and its first connection. */
export async function listen(cleanups: (() => void)[]) {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => server.close());
  const connection = once(server, 'connection').then(([socket]) => {
    (socket as Socket).on('error', () => undefined);
    cleanups.push(() => (socket as Socket).destroy());
    return socket as Socket;
  });
  return { port: (server.address() as { port: number }).port, connection };
}

export async function connectTo(port: number, cleanups: (() => void)[]): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  cleanups.push(() => socket.destroy());
  await once(socket, 'connect');
  return socket;
}

/** Python peers, our listeners and our connections for a test file, cleaned up after each test. */
export function interopSession() {
  const cleanups = cleanupList();
  return {
    python: (...args: ConstructorParameters<typeof PythonPeer>) => startPython(cleanups, ...args),
    listen: () => listen(cleanups),
    connectTo: (port: number) => connectTo(port, cleanups),
  };
}
