import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PYTHON, requirePython, runPeer } from '@net/test-peers';
import { describe, expect, it } from 'vitest';
import { createStreamReader } from '../../src/index.js';

const script = fileURLToPath(new URL('./frame_client.py', import.meta.url));

describe('interop with a Python socket peer', () => {
  it('reads frames and lines sent in random slices by Python', async () => {
    requirePython();
    const server = createServer({ allowHalfOpen: true }); // Python half-closes, then reads our answers
    const served = new Promise<void>((resolve, reject) => {
      server.once('connection', (socket: Socket) => {
        socket.on('error', reject);
        (async () => {
          const reader = createStreamReader(socket, { timeout: 10_000 });
          for (let i = 0; i < 60; i++) {
            const body = await reader.readFrame();
            socket.write(`${createHash('sha256').update(body!).digest('hex')}\n`);
          }
          for (let line = await reader.readLine(); line !== null; line = await reader.readLine()) {
            socket.write(`${line.toUpperCase()}\n`);
          }
          socket.end('END\n');
        })().then(resolve, reject);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    try {
      const { code, output } = await runPeer(PYTHON, [script, String(port)], { timeout: 30_000 });
      await served;
      expect(output.trim()).toBe('OK');
      expect(code).toBe(0);
    } finally {
      server.close();
    }
  }, 30_000);
});
