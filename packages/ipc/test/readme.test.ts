// The README's examples, run as a user runs them: the Quick example as a whole program
// against the built package, and the recipe's Python client against its listener.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CHALLENGE_DEFAULTS } from '@net/hmac-auth';
import { readmeExample, readmeTableNames, runExample, runPeer } from '@net/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createIpcServer,
  IPC_DEFAULTS,
  IPC_SERVER_DEFAULTS,
  type IpcServer,
  type Listener,
  listen,
  PICKLE_DEFAULTS,
} from '../src/index.js';
import { python } from './helpers.js';

const README = new URL('../README.md', import.meta.url);
const listeners: Listener[] = [];
const servers: IpcServer[] = [];
afterEach(async () => {
  for (const listener of listeners.splice(0)) await listener.close();
  for (const server of servers.splice(0)) await server.close({ timeout: 1_000 });
});

describe('README examples', () => {
  it('quick: values and raw bytes make the round trip through the echo listener', async () => {
    const result = await runExample(readmeExample(README, 'quick'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "{ any: [ 'structured', 'clone', Map(1) { 1 => 'one' } ] }\nraw bytes\n",
    );
  });

  it('server: the handler-per-connection server listens, reports its stats and closes', async () => {
    const result = await runExample(readmeExample(README, 'server'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^\{\n?\s*active: 0,[\s\S]*accepted: 0,[\s\S]*authFailures: 0[\s\S]*\}\n$/,
    );
  });

  it.each(['3.11', '3.12'] as const)(
    "quick-python: Python %s's recipe client against the Quick example's listener",
    async (version) => {
      const authkey = randomBytes(32);
      const listener = await listen({ host: '127.0.0.1', port: 0, authkey });
      listeners.push(listener);
      // The Quick example's server loop, as written there.
      (async () => {
        for await (const conn of listener) {
          (async () => {
            try {
              for (;;) await conn.sendBytes(await conn.recvBytes());
            } catch {
              conn.close();
            }
          })();
        }
      })();
      const { port } = listener.address as { port: number };
      // The README's names, defined first; the key arrives on stdin, never in argv.
      const prelude = `import sys\nport = ${port}\nauthkey = bytes.fromhex(sys.stdin.readline())\n`;
      const result = await runPeer(
        python(version),
        ['-c', prelude + readmeExample(README, 'quick-python').code],
        { input: `${authkey.toString('hex')}\n` },
      );
      expect(result.stderr).toBe('');
      expect(result).toMatchObject({ code: 0, stdout: "b'hello from Python'\n[1, 2, 3, 4, 5]\n" });
    },
  );
});

describe("README: codec 'pickle'", () => {
  it('pickle: the recipe as a Node server and a Node client', async () => {
    const result = await runExample(readmeExample(README, 'pickle'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "hello\n42\n[ 1, 2, 3, 4, 5 ]\nMap(2) { 'point' => [ 1, 2 ], 3 => Set(1) { 'x' } }\n",
    );
  });

  it.each(['3.11', '3.12'] as const)(
    "pickle-python: Python %s's recipe client, unchanged, against the README's server",
    async (version) => {
      // The README's server, as written there.
      const server = createIpcServer(
        async (conn) => {
          for (;;) await conn.send(await conn.recv());
        },
        { host: '127.0.0.1', port: 0, authkey: 'peekaboo', codec: 'pickle' },
      );
      servers.push(server);
      const { port } = (await server.listen()) as { port: number };
      const result = await runPeer(python(version), [
        '-c',
        `port = ${port}\n${readmeExample(README, 'pickle-python').code}`,
      ]);
      expect(result.stderr).toBe('');
      expect(result).toMatchObject({ code: 0, stdout: 'hello\n42\n[1, 2, 3, 4, 5]\n' });
    },
  );
});

describe('README defaults', () => {
  it('IPC_DEFAULTS holds every endpoint default, and the options table lists each', () => {
    expect(IPC_DEFAULTS.acceptDigests).toEqual(['md5', 'sha256', 'sha384', 'sha3_256', 'sha3_384']);
    expect(IPC_DEFAULTS.acceptDigests).toBe(CHALLENGE_DEFAULTS.acceptDigests);
    const documented = readmeTableNames(README);
    for (const key of [...Object.keys(IPC_DEFAULTS), ...Object.keys(IPC_SERVER_DEFAULTS)]) {
      expect(documented, `README options table lacks ${key}`).toContain(key);
    }
    // The pickle row spells PICKLE_DEFAULTS out.
    const row = readFileSync(README, 'utf8')
      .split('\n')
      .find((line) => line.startsWith('| `pickle` |'));
    expect(row).toContain(
      `{ dicts: '${PICKLE_DEFAULTS.dicts}', maxDepth: ${PICKLE_DEFAULTS.maxDepth}, maxContainers: ${PICKLE_DEFAULTS.maxContainers} }`,
    );
  });
});
