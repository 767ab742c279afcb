import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { holdSilentClients, openFds } from '../src/index.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.close();
    await once(server, 'close');
  }
});

/** A loopback server that does `onSocket` with each connection; counts the open ones. */
async function serve(onSocket: (socket: Socket) => void) {
  let active = 0;
  const server = createServer((socket) => {
    active++;
    socket.on('error', () => undefined);
    socket.once('close', () => active--);
    onSocket(socket);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as { port: number }).port, active: () => active };
}

describe('holdSilentClients', () => {
  it('reports the connections a server closed, when, and the peaks it reached meanwhile', async () => {
    const { port, active } = await serve((socket) => {
      setTimeout(() => socket.end(), 300);
    });
    let openedSeen = false;
    const report = await holdSilentClients(port, 30, {
      batch: 10,
      holdMs: 3_000,
      active,
      onOpened: () => {
        openedSeen = true;
      },
    });
    expect(openedSeen).toBe(true);
    expect(report.opened).toBe(30);
    expect(report.closedByServer).toBe(30);
    expect(report.results.every((result) => result.how === 'end')).toBe(true);
    expect(Math.min(...report.results.map((result) => result.after))).toBeGreaterThanOrEqual(250);
    // The server held all 30 at once for 300 ms, one descriptor each in this process (the
    // clients run in a child); a few more are the child's IPC channel and the like.
    expect(report.peakActive).toBe(30);
    expect(report.peakFds).toBeGreaterThanOrEqual(30);
    expect(report.peakFds).toBeLessThanOrEqual(40);
  });

  it('lets go of every client after holdMs when the server never closes them', async () => {
    const held: Socket[] = [];
    const { port, active } = await serve((socket) => held.push(socket));
    const started = performance.now();
    const report = await holdSilentClients(port, 5, { holdMs: 300 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
    expect(report).toMatchObject({ opened: 5, closedByServer: 0, results: [], peakActive: 0 });
    // The child destroyed its sockets on the way out: the server sees them all closed.
    for (let i = 0; i < 100 && active() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(active()).toBe(0);
    expect(held).toHaveLength(5);
  });
});

describe('openFds', () => {
  it("counts this process's open file descriptors", () => {
    const before = openFds();
    const fd = openSync(fileURLToPath(import.meta.url), 'r');
    try {
      expect(openFds()).toBe(before + 1);
    } finally {
      closeSync(fd);
    }
    expect(openFds()).toBe(before);
  });
});
