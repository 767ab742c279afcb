// The README's Quick example, run as a user runs it: a whole program against the built package.
import { readmeExample, runExample } from '@net/test-peers';
import { describe, expect, it } from 'vitest';

const README = new URL('../README.md', import.meta.url);

// Each example is a whole Node process: more than vitest's 5 s on a busy machine.
describe('README examples', { timeout: 30_000 }, () => {
  it('quick: both sides authenticate, then the bytes sent after the digest are echoed', async () => {
    const result = await runExample(readmeExample(README, 'quick'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Hello World\n');
  });
});
