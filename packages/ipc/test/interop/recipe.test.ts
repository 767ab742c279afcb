// Recipe 11.7 as the Cookbook prints it (recipe/server.py, recipe/client.py: only the port
// is replaced), with our Node on the other side, codec: 'pickle', on Python 3.11 and 3.12.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { freePort } from '@net/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  createIpcServer,
  type IpcServer,
  type NetError,
  type PickleUnsafeError,
  tuple,
} from '../../src/index.js';
import { python, waitFor } from '../helpers.js';

const execFile$ = promisify(execFile);
const recipe = (name: string) => readFileSync(new URL(`./recipe/${name}`, import.meta.url), 'utf8');
const authkey = 'peekaboo'; // the recipe's own key
const children: ChildProcess[] = [];
const servers: IpcServer[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  for (const server of servers.splice(0)) await server.close({ timeout: 1_000 });
});

/** The recipe's source with its port 25000 replaced. */
function withPort(source: string, port: number): string {
  expect(source).toContain('25000');
  return source.replaceAll('25000', String(port));
}

/** Our echo server, the recipe's echo_client in Node: values back as they came. */
async function nodeEchoServer(onError?: (error: NetError) => void): Promise<number> {
  const server = createIpcServer(
    async (conn) => {
      for (;;) {
        let reply: unknown;
        try {
          reply = await conn.recv();
        } catch (error) {
          const code = (error as NetError).code;
          if (code === 'ERR_CONNECTION_CLOSED') throw error;
          onError?.(error as NetError);
          reply = code; // tell the peer what was refused; the connection goes on
        }
        await conn.send(reply);
      }
    },
    { host: '127.0.0.1', port: 0, authkey, codec: 'pickle' },
  );
  servers.push(server);
  const { port } = (await server.listen()) as { port: number };
  return port;
}

describe.each(['3.11', '3.12'] as const)('recipe 11.7 with Python %s', (version) => {
  it("the recipe's server echoes what our client sends with codec: 'pickle'", async () => {
    const port = await freePort();
    const child = spawn(python(version), ['-c', withPort(recipe('server.py'), port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    let conn: Awaited<ReturnType<typeof connect>> | undefined;
    // Until the recipe's server listens (bounded: 100 tries, 50 ms apart).
    for (let attempt = 0; attempt < 100 && conn === undefined; attempt++) {
      conn = await connect({ host: '127.0.0.1', port, authkey, codec: 'pickle' }).catch(
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          return undefined;
        },
      );
    }
    if (conn === undefined) throw new Error('the recipe server did not start listening');
    // The recipe's session...
    await conn.send('hello');
    expect(await conn.recv()).toBe('hello');
    await conn.send(42);
    expect(await conn.recv()).toBe(42);
    await conn.send([1, 2, 3, 4, 5]);
    expect(await conn.recv()).toEqual([1, 2, 3, 4, 5]);
    // ...and every other type, through Python's recv() / send() and back.
    const shared = ['shared'];
    const value = {
      none: null,
      flags: [true, false],
      ints: [0, -1, 2 ** 31, 2 ** 53 - 1, 2n ** 64n, -(10n ** 30n)],
      floats: [1.5, -0, Number.NaN, Number.POSITIVE_INFINITY],
      text: 'héllo \u{1F600}',
      bytes: new Uint8Array([0, 1, 255]),
      pair: tuple(1, 'a'),
      map: new Map<unknown, unknown>([
        [1, 'one'],
        [tuple(2, 3), 'tuple key'],
      ]),
      set: new Set(['x', 1]),
      shared: [shared, shared],
    };
    await conn.send(value);
    const back = (await conn.recv()) as Map<string, unknown>;
    expect(back).toBeInstanceOf(Map);
    expect(back.get('ints')).toEqual(value.ints);
    expect(Object.is((back.get('floats') as number[])[1], -0)).toBe(true);
    expect(back.get('floats')).toEqual(value.floats);
    expect(back.get('text')).toBe(value.text);
    expect(back.get('bytes')).toEqual(value.bytes);
    expect(back.get('pair')).toEqual([1, 'a']);
    expect(back.get('map')).toEqual(value.map);
    expect(back.get('set')).toEqual(value.set);
    const sharedBack = back.get('shared') as unknown[];
    expect(sharedBack[0]).toBe(sharedBack[1]);
    conn.close();
    await waitFor(() => stdout.includes('Connection closed'), 5_000, 'no "Connection closed"');
  });

  it("the recipe's client gets its objects back from our server", async () => {
    const port = await nodeEchoServer();
    const { stdout } = await execFile$(
      python(version),
      ['-c', withPort(recipe('client.py'), port)],
      { timeout: 30_000 },
    );
    expect(stdout).toBe("'hello'\n42\n[1, 2, 3, 4, 5]\n");
  });

  it('hostile pickles from Python are refused and the connection keeps working', async () => {
    const errors: NetError[] = [];
    const port = await nodeEchoServer((error) => errors.push(error));
    const script = new URL('./recipe/hostile.py', import.meta.url).pathname;
    const { stdout } = await execFile$(python(version), [script, String(port)], {
      timeout: 30_000,
    });
    expect(stdout.split('\n')).toEqual([
      'ERR_PICKLE_UNSAFE',
      'ERR_PICKLE_UNSAFE',
      'ERR_DESERIALIZE',
      'ERR_PICKLE_LIMIT',
      'still here',
      '',
    ]);
    const [evil, klass] = errors as PickleUnsafeError[];
    expect(evil?.opcode).toBe('STACK_GLOBAL');
    expect(evil?.global).toBe('posix.system');
    expect(klass?.global).toBe('builtins.set');
  });
});
