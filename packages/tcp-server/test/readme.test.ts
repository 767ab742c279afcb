// The README's Quick example, run as a user runs it: a whole program against the built package.
import { connect } from 'node:net';
import { readmeExample, runExample, startExample, stopPeers } from '@net/test-peers';
import { afterEach, describe, expect, it } from 'vitest';

const README = new URL('../README.md', import.meta.url);
afterEach(stopPeers);

// Each example is a whole Node process: more than vitest's 5 s on a busy machine.
describe('README examples', { timeout: 30_000 }, () => {
  it("quick: the recipe's echo handler answers its client, then the server closes", async () => {
    const result = await runExample(readmeExample(README, 'quick'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Hello World\n');
  });

  it('line-server: the StreamRequestHandler example echoes each line, the last one unterminated too', async () => {
    const server = await startExample(
      readmeExample(README, 'line-server'),
      /line echo server on 127\.0\.0\.1:(\d+)\n/,
    );
    const client = connect(Number(server.match[1]), '127.0.0.1');
    client.end('first\nsecond\nlast');
    let echoed = '';
    for await (const chunk of client) echoed += chunk;
    expect(echoed).toBe('first\nsecond\nlast\n');
    const { stderr } = await server.stop();
    expect(stderr).toBe('');
  });
});
