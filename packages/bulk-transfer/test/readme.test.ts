// The README's examples, run as a user runs them: the Quick example as a program against the
// built package, and the NumPy clients against the README's budgeted echo server.
import { readmeExample, requirePeer, runExample, runPeer } from '@net/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import { type BulkServer, createBulkServer } from '../src/index.js';

/** Only Debian's interpreter has NumPy (pyenv's python3 does not). */
const NUMPY_PYTHON = process.env.NUMPY_PYTHON ?? '/usr/bin/python3';
const README = new URL('../README.md', import.meta.url);
const servers: BulkServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close({ timeout: 1_000 });
});

/** The README's server with a memory budget, as written there. */
async function budgetServer(): Promise<number> {
  const server = createBulkServer(
    async (conn) => {
      for (let got = await conn.recvArray(); got !== null; got = await conn.recvArray()) {
        await conn.sendArray(got.array, { shape: got.shape, dtype: got.dtype });
      }
    },
    { memoryBudget: 2 ** 30, maxBytes: 2 ** 28, maxConnections: 100 },
  );
  servers.push(server);
  return (await server.listen({ host: '127.0.0.1', port: 0 })).port;
}

// Each example is a whole Node (or Python) process: more than vitest's 5 s on a busy machine.
describe('README examples', { timeout: 30_000 }, () => {
  it('quick: a matrix over loopback, then null at the clean end', async () => {
    const result = await runExample(readmeExample(README, 'quick'));
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0, stdout: 'float64 [ 1000, 1000 ] 999999\nnull\n' });
  });

  it.each([
    ['numpy-client', '[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]\n'],
    ['numpy-load', '[[ 0  1  2  3]\n [ 4  5  6  7]\n [ 8  9 10 11]]\n'],
  ])('%s: the NumPy client gets its big-endian array echoed', async (name, printed) => {
    requirePeer(NUMPY_PYTHON, ['-c', 'import numpy'], 'apt-get install python3-numpy');
    const port = await budgetServer();
    const result = await runPeer(NUMPY_PYTHON, [
      '-c',
      `port = ${port}\n${readmeExample(README, name).code}`,
    ]);
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0, stdout: printed });
  });
});
