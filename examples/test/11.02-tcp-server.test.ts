// Recipe 11.2 side by side: the recipe's Python echo server with our Node client, and our
// Node server (examples/11.02-tcp-server/server.mjs) with the recipe's Python client.
import { PYTHON, requirePython, runPeer } from '@net/test-peers';
import { beforeAll, describe, expect, it } from 'vitest';
import { NODE, recipeScripts, startServer } from './recipes.js';

const script = recipeScripts('11.02-tcp-server');

describe('recipe 11.2: a TCP echo server', { timeout: 20_000 }, () => {
  beforeAll(() => requirePython());

  it("the recipe's server echoes our Node client's Hello", async () => {
    const server = await startServer(PYTHON, [script('recipe_server.py'), '0', '1']);
    const client = await runPeer(NODE, [script('client.mjs'), String(server.port)], {
      timeout: 10_000,
    });
    expect(client).toMatchObject({ code: 0, stdout: 'Hello\n' });
    const served = await server.result;
    expect(served.code).toBe(0);
    expect(served.stdout).toMatch(/^\d+\nGot connection from \('127\.0\.0\.1', \d+\)\n$/);
  });

  it("our Node server echoes the recipe client's b'Hello'", async () => {
    const server = await startServer(NODE, [script('server.mjs'), '0', '1']);
    const client = await runPeer(PYTHON, [script('recipe_client.py'), String(server.port)], {
      timeout: 10_000,
    });
    expect(client).toMatchObject({ code: 0, stdout: "b'Hello'\n" });
    const served = await server.result;
    expect(served.code).toBe(0);
    expect(served.stdout).toMatch(/^\d+\nGot connection from \[ '127\.0\.0\.1', \d+ \]\n$/);
  });
});
