import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createUdpServer, UDP_SERVER_DEFAULTS, udpRequest } from '../src/index.js';
import { onCleanup, rawSocket, waitFor } from './helpers.js';

describe('a burst of 100,000 datagrams against a slow handler', () => {
  it('drops and counts what exceeds maxInFlight, and keeps answering', async () => {
    expect(UDP_SERVER_DEFAULTS.maxInFlight).toBe(1024);
    let calls = 0;
    let running = 0;
    let peak = 0;
    const server = createUdpServer(
      async (msg) => {
        calls++;
        running++;
        peak = Math.max(peak, running);
        await sleep(20); // slow on purpose, so that the bound is reached
        running--;
        if (msg.data[0] === 0x21) await msg.reply('pong');
      },
      { maxInFlight: 8, recvBufferSize: 4 * 1024 * 1024 },
    );
    onCleanup(() => server.close());
    const { port } = await server.bind({ host: '127.0.0.1', port: 0 });
    const sender = await rawSocket();
    const datagram = Buffer.alloc(32, 0x2e);
    const total = 100_000;
    const deadline = Date.now() + 20_000;
    let sent = 0;
    // Send in batches, each waiting for its last send to complete and then yielding to
    // the event loop (so the server reads meanwhile): bounded by count and time.
    while (sent < total && Date.now() < deadline) {
      const batch = Math.min(25, total - sent);
      await new Promise<void>((resolve) => {
        for (let i = 0; i < batch; i++) {
          if (i === batch - 1) sender.send(datagram, port, '127.0.0.1', () => resolve());
          else sender.send(datagram, port, '127.0.0.1');
        }
      });
      sent += batch;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(sent).toBe(total);
    // Wait until the handlers drain; kernel losses never reach the server.
    await waitFor(() => server.stats().inFlight === 0 && running === 0, 10_000);
    let stats = server.stats();
    let previous = -1;
    while (stats.received !== previous) {
      previous = stats.received;
      await sleep(50);
      stats = server.stats();
    }
    expect(stats.received).toBeGreaterThan(0);
    expect(stats.received).toBeLessThanOrEqual(total);
    expect(stats.dropped).toBeGreaterThan(0);
    expect(calls + stats.dropped).toBe(stats.received);
    expect(peak).toBeLessThanOrEqual(8);
    expect(stats.bytesIn).toBe(stats.received * 32);
    // still serving after the burst
    const answer = await udpRequest({ host: '127.0.0.1', port }, '!', { timeout: 500, retries: 5 });
    expect(Buffer.from(answer).toString()).toBe('pong');
  }, 40_000);
});
