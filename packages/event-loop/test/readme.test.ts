import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect } from 'node:net';
import { readmeExample, runExample, startExample, stopPeers } from '@net/test-peers';
import { afterEach, describe, expect, it } from 'vitest';

// The README's runnable examples, run as a user runs them (against the built package).
const README = new URL('../README.md', import.meta.url);
afterEach(stopPeers);

// Each example is a whole Node (or Python) process: more than vitest's 5 s on a busy machine.
describe('README examples', { timeout: 30_000 }, () => {
  it('fib-server: Fibonacci over UDP from the worker pool (fib.mjs next to it), echo over TCP', async () => {
    const server = await startExample(
      readmeExample(README, 'fib-server'),
      /try: nc 127\.0\.0\.1 (\d+)\ntry: echo -n 30 \| nc -u -w1 127\.0\.0\.1 (\d+)\n/,
      { files: { 'fib.mjs': readmeExample(README, 'fib').code } },
    );
    const udp = createSocket('udp4');
    try {
      udp.send('30', Number(server.match[2]), '127.0.0.1');
      const [reply] = await once(udp, 'message');
      expect(String(reply)).toBe('832040');
    } finally {
      udp.close();
    }
    const tcp = connect(Number(server.match[1]), '127.0.0.1');
    tcp.end('echo me');
    let echoed = '';
    for await (const chunk of tcp) echoed += chunk;
    expect(echoed).toBe('echo me');
    const { stderr } = await server.stop();
    expect(stderr).toBe('');
  });

  it('quick: the UDP time server answers with ctime, the TCP echo server echoes', async () => {
    const result = await runExample(readmeExample(README, 'quick'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\nHello World\n$/);
  });

  it('load-shedding: the first request after startup is served, not shed', async () => {
    const result = await runExample(readmeExample(README, 'load-shedding'));
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0, stdout: '200 ok\n\n' });
  });
});
