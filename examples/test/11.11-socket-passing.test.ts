// Recipe 11.11 side by side. The recipe has no wire between its two halves (a server
// process passes each accepted socket to a worker process), so each side is checked with a
// client of the other language: our Node client against the recipe's multiprocessing
// server, and a Python echo client against our Node server (spawnWorkers + serveWorker).
import { PYTHON, requirePython, runPeer } from '@net/test-peers';
import { beforeAll, describe, expect, it } from 'vitest';
import { NODE, recipeScripts, startServer } from './recipes.js';

const script = recipeScripts('11.11-socket-passing');
const CLIENT = { timeout: 10_000 }; // a client's deadline, well inside the test's

describe('recipe 11.11: passing accepted sockets to a worker process', { timeout: 20_000 }, () => {
  beforeAll(() => requirePython());

  it("the recipe's worker process echoes what our Node client sends", async () => {
    const server = await startServer(PYTHON, ['-u', script('recipe.py'), '0', '1']);
    const client = await runPeer(
      NODE,
      [script('client.mjs'), String(server.port), 'Hello', 'handed over'],
      CLIENT,
    );
    expect(client).toMatchObject({ code: 0, stdout: 'Got: Hello\nGot: handed over\n' });

    const served = await server.result;
    expect(served.code).toBe(0);
    // The server process accepted; the worker process (its CHILD lines) read and echoed.
    expect(served.stdout).toMatch(
      /^\d+\nSERVER: Got connection from \('127\.0\.0\.1', \d+\)\nCHILD: GOT FD \d+\nCHILD: RECV b'Hello'\nCHILD: RECV b'handed over'\n$/,
    );
  });

  it("our Node server's worker processes echo what the Python client sends", async () => {
    const server = await startServer(NODE, [script('server.mjs'), '0', '2']);
    const client = (...messages: string[]) =>
      runPeer(PYTHON, [script('echo_client.py'), String(server.port), ...messages], CLIENT);
    expect(await client('Hello', 'World')).toMatchObject({
      code: 0,
      stdout: "Got: b'Hello'\nGot: b'World'\n",
    });
    expect(await client('again')).toMatchObject({ code: 0, stdout: "Got: b'again'\n" });

    const served = await server.result;
    expect(served.code).toBe(0);
    const [, primary, workers] = /^SERVER (\d+): workers (\d+ \d+)$/m.exec(served.stdout) ?? [];
    const workerPids = workers?.split(' ').map(Number) ?? [];
    expect(workerPids).toHaveLength(2);
    expect(workerPids).not.toContain(Number(primary));
    const received = [...served.stdout.matchAll(/^CHILD (\d+): RECV (.*)$/gm)].map(
      ([, pid, text]) => [Number(pid), JSON.parse(text ?? '')],
    );
    expect(received.map(([, text]) => text)).toEqual(['Hello', 'World', 'again']);
    // Each connection was read in a worker, round robin: one connection each.
    expect(received[0]?.[0]).toBe(received[1]?.[0]);
    expect(new Set(received.map(([pid]) => pid))).toEqual(new Set(workerPids));
  });
});
