// Recipe 11.12 side by side: the recipe's select() reactor (UDP time server + TCP echo
// server) with our Node client, and our Node server (the recipe's handlers on
// @net/event-loop's EventLoop) with the recipe's Python clients.
import { PYTHON, requirePython, runPeer } from '@net/test-peers';
import { beforeAll, describe, expect, it } from 'vitest';
import { NODE, recipeScripts, startServer } from './recipes.js';

const script = recipeScripts('11.12-event-loop');
const CLIENT = { timeout: 10_000 }; // a client's deadline, well inside the test's

const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');

/** Checks that `text` is time.ctime()'s text ('Wed Dec  2 13:18:25 2026') for about now. */
function expectCtimeNow(text: string): void {
  const parts =
    /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\w{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\d{4})$/.exec(text);
  expect(parts, `not time.ctime() text: ${JSON.stringify(text)}`).not.toBeNull();
  const [, month, day, h, m, s, year] = parts ?? [];
  const when = new Date(
    Number(year),
    MONTHS.indexOf(month ?? ''),
    Number(day),
    Number(h),
    Number(m),
    Number(s),
  );
  expect(Math.abs(when.getTime() - Date.now())).toBeLessThan(60_000);
}

describe('recipe 11.12: event-driven I/O', { timeout: 20_000 }, () => {
  beforeAll(() => requirePython());

  it("the recipe's reactor answers our Node client's time request and echo", async () => {
    const server = await startServer(PYTHON, [script('recipe_server.py'), '0', '2']);
    const client = await runPeer(NODE, [script('client.mjs'), String(server.port)], CLIENT);
    expect(client).toMatchObject({ code: 0, stderr: '' });
    const [time, echo, end] = client.stdout.split('\n');
    expectCtimeNow(time?.replace(/^time: /, '') ?? '');
    expect(echo).toBe('Got: "Hello\\n"');
    expect(end).toBe('');

    expect(await server.result).toMatchObject({ code: 0, stdout: `${server.port}\n` });
  });

  it("our Node handlers answer the recipe's Python clients", async () => {
    const server = await startServer(NODE, [script('server.mjs'), '0', '2']);
    const client = await runPeer(PYTHON, [script('recipe_client.py'), String(server.port)], CLIENT);
    expect(client).toMatchObject({ code: 0, stderr: '' });
    const [time, echo, end] = client.stdout.split('\n');
    const reply = /^\(b'(.*)', \('127\.0\.0\.1', (\d+)\)\)$/.exec(time ?? '');
    expect(reply?.[2]).toBe(String(server.port)); // the answer came from the server's port
    expectCtimeNow(reply?.[1] ?? '');
    expect(echo).toBe("Got: b'Hello\\n'");
    expect(end).toBe('');

    expect(await server.result).toMatchObject({ code: 0, stdout: `${server.port}\n`, stderr: '' });
  });
});
