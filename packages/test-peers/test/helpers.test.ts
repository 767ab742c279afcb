import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, thrown } from '../src/index.js';

describe('thrown', () => {
  it('returns what the call threw, and fails when it threw nothing', () => {
    const error = Object.assign(new Error('boom'), { code: 'ERR_X' });
    expect(
      thrown(() => {
        throw error;
      }),
    ).toBe(error);
    expect(() => thrown(() => 1)).toThrow('expected a throw');
  });
});

describe('freePort', () => {
  it('gives a loopback port that can be bound', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
