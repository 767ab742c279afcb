// The README's Quick example, run as a user runs it: a whole program against the built package.
import { readmeExample, runExample } from '@net/test-peers';
import { describe, expect, it } from 'vitest';

const README = new URL('../README.md', import.meta.url);

// Each example is a whole Node process: more than vitest's 5 s on a busy machine.
describe('README examples', { timeout: 30_000 }, () => {
  it('quick: dev certificates, mutual TLS, and the echo of Hello World', async () => {
    const result = await runExample(readmeExample(README, 'quick'), { timeout: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [peer, echo, ...rest] = result.stdout.split('\n');
    // The server logs the verified client certificate's subject and fingerprint.
    expect(peer).toMatch(/^client .*[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
    expect(echo).toBe('Hello World');
    expect(rest).toEqual(['']);
  });
});
