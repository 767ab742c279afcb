import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startServer, waitFor } from './helpers.js';

const CONNECTIONS = 10_000;
const client = fileURLToPath(new URL('./hold-clients.mjs', import.meta.url));

describe('10,000 concurrent connections', () => {
  it('holds them with bounded memory per connection', async () => {
    const { server, port, errors } = await startServer(undefined, { idleTimeout: 60_000 });
    const child = fork(client, [String(port), String(CONNECTIONS), '500'], { stdio: 'inherit' });
    try {
      const rssBefore = process.memoryUsage().rss;
      const [message] = (await once(child, 'message')) as [{ held?: number; error?: string }];
      expect(message.error).toBeUndefined();
      expect(message.held).toBe(CONNECTIONS);
      expect(server.stats().active).toBe(CONNECTIONS);
      const perConnection = (process.memoryUsage().rss - rssBefore) / CONNECTIONS;
      console.log(`RSS per held connection: ${(perConnection / 1024).toFixed(1)} KiB`);
      // A Node socket, its Connection and the handler's suspended loop: a few KiB each.
      expect(perConnection).toBeLessThan(48 * 1024);
      child.send('close');
      await waitFor(() => server.stats().active === 0, 20_000, 'all connections closed');
      expect(server.stats()).toMatchObject({ accepted: CONNECTIONS, refused: 0, handlerErrors: 0 });
      expect(errors).toEqual([]);
    } finally {
      child.kill();
      await server.close({ timeout: 1_000 });
    }
  }, 60_000);
});
