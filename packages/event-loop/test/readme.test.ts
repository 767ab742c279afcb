import { readmeExample, runExample } from '@net/test-peers';
import { describe, expect, it } from 'vitest';

// The README's runnable examples, run as a user runs them (against the built package).
const README = new URL('../README.md', import.meta.url);

// Each example is a whole Node (or Python) process: more than vitest's 5 s on a busy machine.
describe('README examples', { timeout: 30_000 }, () => {
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
