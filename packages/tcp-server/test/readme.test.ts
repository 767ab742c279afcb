// The README's Quick example, run as a user runs it: a whole program against the built package.
import { readmeExample, runExample } from '@net/test-peers';
import { describe, expect, it } from 'vitest';

const README = new URL('../README.md', import.meta.url);

describe('README examples', () => {
  it("quick: the recipe's echo handler answers its client, then the server closes", async () => {
    const result = await runExample(readmeExample(README, 'quick'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Hello World\n');
  });
});
