// The README's examples, run as a user runs them: the Quick example as a program against the
// built package, and the NumPy clients against the README's budgeted echo server (itself
// run as a program).
import {
  readmeExample,
  requirePeer,
  runExample,
  runPeer,
  startExample,
  stopPeers,
} from '@net/test-peers';
import { afterEach, describe, expect, it } from 'vitest';

/** Only Debian's interpreter has NumPy (pyenv's python3 does not). */
const NUMPY_PYTHON = process.env.NUMPY_PYTHON ?? '/usr/bin/python3';
const README = new URL('../README.md', import.meta.url);
afterEach(stopPeers);

/** The README's budgeted echo server (example "echo-server"), run as written; its port. */
async function echoServer(): Promise<number> {
  const server = await startExample(
    readmeExample(README, 'echo-server'),
    /bulk echo server on 127\.0\.0\.1:(\d+)\n/,
  );
  return Number(server.match[1]);
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
  ])(
    '%s: the NumPy client gets its big-endian array echoed by the echo-server example',
    async (name, printed) => {
      requirePeer(NUMPY_PYTHON, ['-c', 'import numpy'], 'apt-get install python3-numpy');
      const port = await echoServer();
      const result = await runPeer(NUMPY_PYTHON, [
        '-c',
        `port = ${port}\n${readmeExample(README, name).code}`,
      ]);
      expect(result.stderr).toBe('');
      expect(result).toMatchObject({ code: 0, stdout: printed });
    },
  );
});
