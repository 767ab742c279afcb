import { readmeExamples, runExample } from '@net/test-peers';
import { describe, expect, it } from 'vitest';

// The README's runnable examples, run as a user runs them (against the built package).
const examples = new Map(
  readmeExamples(new URL('../README.md', import.meta.url)).map((example) => [
    example.name,
    example,
  ]),
);

describe('README examples', () => {
  it('quick: a client that half-closes still gets every reply', async () => {
    const result = await runExample(examples.get('quick')!);
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0, stdout: 'HELLO\nWORLD\n\n' });
  });
});
