// Recipe 11.13 side by side: the recipe's send_from (NumPy arange over a socket) with our
// Node client's recvInto, and our Node server's sendBuffer with the recipe's recv_into.
// 4,000,000 doubles (32 MB): far more than the socket buffers hold, so each side sends and
// receives in many pieces (a 16 MB array took 12 recv_into calls on loopback here); the
// receiving side checks every element and the sum.
import { requirePeer, runPeer } from '@net/test-peers';
import { beforeAll, describe, expect, it } from 'vitest';
import { NODE, recipeScripts, startServer } from './recipes.js';

const script = recipeScripts('11.13-bulk-transfer');
const NUMPY_PYTHON = '/usr/bin/python3'; // Debian's, which has NumPy (pyenv's has not)
const COUNT = 4_000_000;
const SUM = (COUNT * (COUNT - 1)) / 2; // of arange(0.0, COUNT): exact in doubles
const CLIENT = { timeout: 10_000 }; // a client's deadline, well inside the test's

describe('recipe 11.13: sending and receiving large arrays', { timeout: 20_000 }, () => {
  beforeAll(() =>
    requirePeer(
      NUMPY_PYTHON,
      ['-c', 'import numpy'],
      'Debian: apt-get install python3 python3-numpy',
    ),
  );

  it("our Node client's recvInto fills its array with the recipe's send_from", async () => {
    const server = await startServer(NUMPY_PYTHON, [script('recipe_server.py'), '0', `${COUNT}`]);
    const client = await runPeer(
      NODE,
      [script('client.mjs'), String(server.port), `${COUNT}`],
      CLIENT,
    );
    const last = Array.from({ length: 10 }, (_, i) => COUNT - 10 + i);
    expect(client).toMatchObject({
      code: 0,
      stderr: '',
      stdout: [
        '[0 0 0 0 0 0 0 0 0 0]',
        '[0 1 2 3 4 5 6 7 8 9]',
        `[${last.join(' ')}]`,
        'arange: true',
        `sum: ${SUM}`,
        '',
      ].join('\n'),
    });
    expect(await server.result).toMatchObject({ code: 0, stdout: `${server.port}\n`, stderr: '' });
  });

  it("the recipe's recv_into fills its NumPy array with our Node server's sendBuffer", async () => {
    const server = await startServer(NODE, [script('server.mjs'), '0', `${COUNT}`]);
    const client = await runPeer(
      NUMPY_PYTHON,
      [script('recipe_client.py'), String(server.port), `${COUNT}`],
      CLIENT,
    );
    expect(client).toMatchObject({ code: 0, stderr: '' });
    const lines = client.stdout.split('\n');
    expect(lines[0]).toBe('[0. 0. 0. 0. 0. 0. 0. 0. 0. 0.]');
    expect(lines[1]).toBe('[0. 1. 2. 3. 4. 5. 6. 7. 8. 9.]');
    expect(lines.slice(-3)).toEqual(['arange: True', `sum: ${SUM}`, '']);
    expect(await server.result).toMatchObject({
      code: 0,
      stdout: `${server.port}\nsent ${COUNT * 8} bytes\n`,
      stderr: '',
    });
  });
});
