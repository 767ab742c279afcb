// Recipe 11.3 side by side: the recipe's Python time server with our Node client, and our
// Node server (examples/11.03-udp-server/server.mjs) with the recipe's Python client.
import { PYTHON, requirePython, runPeer } from '@net/test-peers';
import { beforeAll, describe, expect, it } from 'vitest';
import { NODE, recipeScripts, startServer } from './recipes.js';

const script = recipeScripts('11.03-udp-server');

/** Text in time.ctime()'s format ('Wed Aug 15 20:35:08 2012') within two minutes of now. */
function expectCtimeNow(text: string): void {
  expect(text).toMatch(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
  // V8 parses ctime's layout as local time, as time.ctime() and formatCtime write it.
  expect(Math.abs(Date.parse(text) - Date.now())).toBeLessThan(120_000);
}

describe('recipe 11.3: a UDP time server', { timeout: 20_000 }, () => {
  beforeAll(() => requirePython());

  it("the recipe's server tells our Node client the time", async () => {
    const server = await startServer(PYTHON, [script('recipe_server.py'), '0', '1']);
    const client = await runPeer(NODE, [script('client.mjs'), String(server.port)], {
      timeout: 10_000,
    });
    expect(client).toMatchObject({ code: 0, stderr: '' });
    expectCtimeNow(client.stdout.replace(/\n$/, ''));
    const served = await server.result;
    expect(served.code).toBe(0);
    expect(served.stdout).toMatch(/^\d+\nGot connection from \('127\.0\.0\.1', \d+\)\n$/);
  });

  it("our Node server tells the recipe's client the time, from its own port", async () => {
    const server = await startServer(NODE, [script('server.mjs'), '0', '1']);
    const client = await runPeer(PYTHON, [script('recipe_client.py'), String(server.port)], {
      timeout: 10_000,
    });
    expect(client.code, client.output).toBe(0);
    // print(s.recvfrom(8192)): (b'Wed Aug 15 20:35:08 2012', ('127.0.0.1', 20000))
    const [, time, port] = /^\(b'(.*)', \('127\.0\.0\.1', (\d+)\)\)\n$/.exec(client.stdout) ?? [];
    expectCtimeNow(time ?? client.stdout);
    expect(Number(port)).toBe(server.port);
    const served = await server.result;
    expect(served.code).toBe(0);
    expect(served.stdout).toMatch(/^\d+\nGot connection from \[ '127\.0\.0\.1', \d+ \]\n$/);
  });
});
