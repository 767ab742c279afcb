// The README's examples, run as a user runs them: the programs against the built package,
// and the recipe's Python client against the time server of the Quick example.
import { PYTHON, readmeExample, requirePython, runExample, runPeer } from '@net/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import { createUdpServer, formatCtime, type UdpServer } from '../src/index.js';

const README = new URL('../README.md', import.meta.url);
const servers: UdpServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

// Each example is a whole Node (or Python) process: more than vitest's 5 s on a busy machine.
describe('README examples', { timeout: 30_000 }, () => {
  it('quick: the time server answers udpRequest with a ctime string', async () => {
    const result = await runExample(readmeExample(README, 'quick'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n$/);
  });

  it('quick-python: the recipe client parses what the time server sends', async () => {
    requirePython();
    // The Quick example's server, as written there.
    const server = createUdpServer(async (msg) => {
      await msg.reply(formatCtime(new Date()));
    });
    servers.push(server);
    const { port } = await server.bind({ host: '127.0.0.1', port: 0 });
    const code = `port = ${port}\n${readmeExample(README, 'quick-python').code}\nprint(text)\n`;
    const result = await runPeer(PYTHON, ['-c', code]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n$/);
  });

  it('client: FIFO without retries, and ids with retries, over one socket each', async () => {
    const result = await runExample(readmeExample(README, 'client'));
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0, stdout: "[ 'a', 'b', 'c' ]\n3\nd\n" });
  });
});
