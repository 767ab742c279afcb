import { fileURLToPath } from 'node:url';
import { PYTHON, requirePython, runPeer } from '@net/test-peers';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/index.js';
import { echo, startServer } from '../helpers.js';

const script = fileURLToPath(new URL('./echo_client.py', import.meta.url));

async function runClient(
  mode: string,
  port: number,
): Promise<{ code: number | null; output: string }> {
  const { code, output } = await runPeer(PYTHON, [script, mode, String(port)], { timeout: 25_000 });
  return { code, output: output.trim() };
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
