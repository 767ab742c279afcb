// Recipe 11.7 side by side, on Python 3.11 and 3.12 (whose multiprocessing handshakes
// differ): the recipe's Python Listener echo server with our Node client, and our Node
// server (examples/11.07-ipc/server.mjs, codec: 'pickle') with the recipe's Python client.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PYTHON, requirePeer, runPeer } from '@net/test-peers';
import { describe, expect, it } from 'vitest';
import { NODE, recipeScripts, startServer } from './recipes.js';

const script = recipeScripts('11.07-ipc');

/** Python 3.12 from pyenv (the newest 3.12.x there), or `$PYTHON312`. */
function python312(): string {
  if (process.env.PYTHON312) return process.env.PYTHON312;
  const root = spawnSync('pyenv', ['root'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const versions =
    root && existsSync(join(root, 'versions')) ? readdirSync(join(root, 'versions')) : [];
  const newest = versions
    .filter((version) => /^3\.12\.\d+$/.test(version))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .at(-1);
  // Without one, requirePeer below fails the test, naming what to install.
  return newest ? join(root, 'versions', newest, 'bin', 'python3') : 'python3.12';
}

const PYTHONS = [
  { version: '3.11', command: PYTHON },
  { version: '3.12', command: python312() },
];

describe.each(PYTHONS)('recipe 11.7 with Python $version', { timeout: 20_000 }, (python) => {
  const requireThisPython = () =>
    requirePeer(
      python.command,
      ['-c', `import sys; assert sys.version_info[:2] == (${python.version.replace('.', ', ')})`],
      `Python ${python.version}: pyenv install ${python.version}, or set PYTHON${python.version.replace('.', '')}`,
    );

  it("the recipe's Listener echoes what our Node client pickles", async () => {
    requireThisPython();
    const server = await startServer(python.command, [script('recipe_server.py'), '0', '1']);
    const client = await runPeer(NODE, [script('client.mjs'), String(server.port)], {
      timeout: 10_000,
    });
    // util.inspect of what came back: a string, a number, a list of five numbers.
    expect(client).toMatchObject({ code: 0, stdout: "'hello'\n42\n[ 1, 2, 3, 4, 5 ]\n" });
    const served = await server.result;
    expect(served).toMatchObject({ code: 0, stderr: '' });
    expect(served.stdout).toMatch(/^\d+\nConnection closed\n$/);
  });

  it("our Node server sends the recipe client's objects back", async () => {
    requireThisPython();
    const server = await startServer(NODE, [script('server.mjs'), '0', '1']);
    const client = await runPeer(
      python.command,
      [script('recipe_client.py'), String(server.port)],
      {
        timeout: 10_000,
      },
    );
    // print(repr(c.recv())) after each c.send(...)
    expect(client).toMatchObject({ code: 0, stdout: "'hello'\n42\n[1, 2, 3, 4, 5]\n" });
    const served = await server.result;
    expect(served).toMatchObject({ code: 0, stderr: '' });
    expect(served.stdout).toMatch(/^\d+\nConnection closed\n$/);
  });
});
