// Recipe 11.9 side by side: the recipe's Python authenticating echo server with our Node
// client, and our Node server (examples/11.09-hmac-auth/server.mjs) with the recipe's
// Python client; and each server refusing a client that holds another key.
import { PYTHON, requirePython, runPeer } from '@net/test-peers';
import { beforeAll, describe, expect, it } from 'vitest';
import { NODE, recipeScripts, startServer } from './recipes.js';

const script = recipeScripts('11.09-hmac-auth');
const WRONG_KEY = 'not-peekaboo';

describe('recipe 11.9: HMAC authentication', { timeout: 20_000 }, () => {
  beforeAll(() => requirePython());

  it("the recipe's server authenticates our Node client and echoes Hello World", async () => {
    const server = await startServer(PYTHON, [script('recipe_server.py'), '0', '1']);
    const client = await runPeer(NODE, [script('client.mjs'), String(server.port)], {
      timeout: 10_000,
    });
    expect(client).toMatchObject({ code: 0, stdout: 'Hello World\n' });
    expect(await server.result).toMatchObject({ code: 0, stderr: '' });
  });

  it("our Node server authenticates the recipe's client and echoes b'Hello World'", async () => {
    const server = await startServer(NODE, [script('server.mjs'), '0', '1']);
    const client = await runPeer(PYTHON, [script('recipe_client.py'), String(server.port)], {
      timeout: 10_000,
    });
    expect(client).toMatchObject({ code: 0, stdout: "b'Hello World'\n" });
    const served = await server.result;
    expect(served).toMatchObject({ code: 0, stderr: '' });
    expect(served.stdout).toMatch(/^\d+\n$/); // nobody refused
  });

  it("the recipe's server hangs up on our Node client with another key", async () => {
    const server = await startServer(PYTHON, [script('recipe_server.py'), '0', '1']);
    const client = await runPeer(NODE, [script('client.mjs'), String(server.port), WRONG_KEY], {
      timeout: 10_000,
    });
    // No echo: the server closed the connection (an end, or a reset if our
    // 'Hello World' was still unread when it closed).
    expect(client.code, client.output).toBe(1);
    expect(client.stdout).toMatch(
      /^refused: the server closed the connection (\(end of stream\)|ERR_STREAM_ERROR)\n$/,
    );
    expect(await server.result).toMatchObject({ code: 0, stderr: '' });
  });

  it("our Node server refuses the recipe's client with another key", async () => {
    const server = await startServer(NODE, [script('server.mjs'), '0', '1']);
    const client = await runPeer(
      PYTHON,
      [script('recipe_client.py'), String(server.port), WRONG_KEY],
      { timeout: 10_000 },
    );
    // resp = s.recv(1024) is b'': the server ended the connection instead of echoing.
    expect(client).toMatchObject({ code: 0, stdout: "b''\n" });
    const served = await server.result;
    expect(served).toMatchObject({ code: 0, stderr: '' });
    expect(served.stdout).toMatch(/^\d+\nrefused \[ '127\.0\.0\.1', \d+ \] ERR_AUTH_FAILED\n$/);
  });
});
