// The README's Quick example, run as a user runs it: a whole program against the built package.
import { readmeExample, runExample } from '@net/test-peers';
import { describe, expect, it } from 'vitest';

const README = new URL('../README.md', import.meta.url);

// Each example is a whole Node process: more than vitest's 5 s on a busy machine.
describe('README examples', { timeout: 30_000 }, () => {
  it('quick: HEAD, GET with params and a session POST against a loopback server', async () => {
    const result = await runExample(readmeExample(README, 'quick'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        '200 Mon, 01 Jun 2026 00:00:00 GMT',
        "{ method: 'GET', url: '/get?q=node', body: '' }",
        'name1=value1&name2=value2',
        '',
      ].join('\n'),
    );
  });
});
