// Recipe 11.1 side by side: the recipe's urllib code (examples/11.01-http-client/recipe.py)
// and our Node client (client.mjs, @net/http-client) against the same loopback stand-in
// for httpbin.org (httpbin_server.py), which echoes each request back as JSON.
import { type PeerResult, PYTHON, requirePython, runPeer } from '@net/test-peers';
import { beforeAll, describe, expect, it } from 'vitest';
import { NODE, recipeScripts, startServer } from './recipes.js';

const script = recipeScripts('11.01-http-client');

interface Echo {
  method: string;
  path: string;
  args: Record<string, string>;
  form: Record<string, string>;
  headers: Record<string, string>;
}

/** The two echoes a client printed (GET, then POST), reduced to what the recipe sets. */
function seen(client: PeerResult) {
  expect(client.code, client.output).toBe(0);
  const [got, posted, ...rest] = client.stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Echo);
  expect(rest).toEqual([]);
  const { method, path, args, form } = got as Echo;
  return {
    get: { method, path, args, form },
    post: {
      method: posted?.method,
      path: posted?.path,
      args: posted?.args,
      form: posted?.form,
      userAgent: posted?.headers['User-Agent'],
      spam: posted?.headers.Spam,
      contentType: posted?.headers['Content-Type'],
    },
  };
}

describe('recipe 11.1: an HTTP client', { timeout: 20_000 }, () => {
  beforeAll(() => requirePython());

  it('the recipe and our Node client send the same GET with params and POST with a form', async () => {
    const server = await startServer(PYTHON, [script('httpbin_server.py'), '0', '4']);
    const base = `http://127.0.0.1:${server.port}`;
    const [python, node] = await Promise.all([
      runPeer(PYTHON, [script('recipe.py'), base], { timeout: 10_000 }),
      runPeer(NODE, [script('client.mjs'), base], { timeout: 10_000 }),
    ]);
    const parms = { name1: 'value1', name2: 'value2' };
    const expected = {
      get: { method: 'GET', path: '/get', args: parms, form: {} },
      post: {
        method: 'POST',
        path: '/post',
        args: {},
        form: parms,
        userAgent: 'none/ofyourbusiness',
        spam: 'Eggs',
        contentType: 'application/x-www-form-urlencoded',
      },
    };
    expect(seen(python)).toEqual(expected);
    expect(seen(node)).toEqual(seen(python));
    expect(await server.result).toMatchObject({ code: 0, stderr: '' });
  });
});
