import { readmeExample, runExample } from '@net/test-peers';
import { describe, expect, it } from 'vitest';

// The README's runnable examples, run as a user runs them (against the built package).
const README = new URL('../README.md', import.meta.url);

describe('README examples', () => {
  it('load-shedding: the first request after startup is served, not shed', async () => {
    const result = await runExample(readmeExample(README, 'load-shedding'));
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0, stdout: '200 ok\n\n' });
  });
});
