import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/index.js';
import { echo, startServer } from '../helpers.js';

const python = process.env.PYTHON ?? 'python3';
const script = fileURLToPath(new URL('./echo_client.py', import.meta.url));

function requirePython(): void {
  const probe = spawnSync(python, ['-c', 'import sys; assert sys.version_info >= (3, 9)']);
  if (probe.status !== 0) {
    throw new Error(
      `This interop test needs Python 3.9+ as "${python}" (Debian: apt-get install python3)`,
    );
  }
}

async function runClient(mode: string, port: number): Promise<{ code: number; output: string }> {
  const child = spawn(python, [script, mode, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill(), 25_000);
  try {
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const [code] = (await once(child, 'exit')) as [number];
    return { code, output: output.trim() };
  } finally {
    clearTimeout(timer);
    child.kill();
  }
}

describe('interop with Python socket clients', () => {
  it('echoes 16 concurrent Python clients that send in random slices and half-close', async () => {
    requirePython();
    const { server, port, errors } = await startServer(echo, { idleTimeout: 20_000 });
    try {
      const { code, output } = await runClient('echo', port);
      expect(output).toBe('OK');
      expect(code).toBe(0);
      expect(server.stats()).toMatchObject({ accepted: 16, handlerErrors: 0 });
      expect(errors).toEqual([]);
    } finally {
      await server.close({ timeout: 1_000 });
    }
  }, 30_000);

  it('serves a Python makefile().readline() client from a readLine handler', async () => {
    requirePython();
    const upper = async (conn: Connection): Promise<void> => {
      for (let line = await conn.readLine(); line !== null; line = await conn.readLine()) {
        await conn.write(`${line.toUpperCase()}\n`);
      }
    };
    const { server, port, errors } = await startServer(upper);
    try {
      const { code, output } = await runClient('lines', port);
      expect(output).toBe('OK');
      expect(code).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await server.close({ timeout: 1_000 });
    }
  }, 30_000);
});
