// Recipe 11.11: a primary passes accepted sockets to worker processes (test/fixtures/echo-worker.mjs).
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnWorkers, type WorkerPool } from '../src/index.js';
import { WORKER, waitFor, withTimeout } from './helpers.js';

const pools: WorkerPool[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const pool of pools.splice(0)) await pool.close({ timeout: 500 });
});

/** A line-oriented client of the echo worker. */
async function client(port: number) {
  const socket = netConnect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await withTimeout(once(socket, 'connect'), 5_000, () => 'no connect');
  const lines = createInterface({ input: socket });
  const queue: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  lines.on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else queue.push(line);
  });
  lines.on('close', () => {
    for (const waiter of waiting.splice(0)) waiter(null);
  });
  const ask = (text: string) => {
    socket.write(`${text}\n`);
    return withTimeout(
      new Promise<string | null>((resolve) => {
        const next = queue.shift();
        if (next !== undefined) resolve(next);
        else if (socket.destroyed) resolve(null);
        else waiting.push(resolve);
      }),
      5_000,
      () => `no answer to ${text}`,
    );
  };
  const pid = Number(await ask('pid'));
  return { socket, ask, pid };
}

describe('spawnWorkers', () => {
  it('hands connections to both workers, replaces a killed one while the other goes on', {
    timeout: 30_000,
  }, async () => {
    const pool = await spawnWorkers({ module: WORKER, count: 2, host: '127.0.0.1', port: 0 });
    pools.push(pool);
    const { port } = pool.address;
    const [pidA, pidB] = pool.pids as [number, number];
    expect(pidA).not.toBe(pidB);

    const clients = await Promise.all(Array.from({ length: 6 }, () => client(port)));
    const served = new Set(clients.map((c) => c.pid));
    expect(served).toEqual(new Set([pidA, pidB]));
    const stats = pool.stats();
    expect(stats.workers.map((w) => [w.pid, w.connections])).toEqual([
      [pidA, 3],
      [pidB, 3],
    ]);

    // Traffic on every connection, then kill worker A in the middle of it.
    const onA = clients.filter((c) => c.pid === pidA);
    const onB = clients.filter((c) => c.pid === pidB);
    const traffic = onB.map(async (c) => {
      for (let i = 0; i < 50; i++) expect(await c.ask(`b${i}`)).toBe(`b${i}`);
    });
    // Listen for every close before the kill: a socket that closes while we await another
    // would otherwise emit 'close' before anyone listens.
    const closed = onA.map((c) => once(c.socket, 'close'));
    process.kill(pidA, 'SIGKILL');
    await withTimeout(
      Promise.all(closed),
      5_000,
      () => 'connection on the killed worker stayed open',
    );
    await Promise.all(traffic);
    for (const c of onB) expect(await c.ask('still here')).toBe('still here');

    const replaced = () => pool.stats().workers.filter((w) => w.ready).length === 2;
    await waitFor(() => pool.stats().restarts === 1 && replaced(), 10_000, 'a replacement');
    const pidC = pool.pids[0] as number;
    expect([pidA, pidB]).not.toContain(pidC);
    const fresh = await Promise.all(Array.from({ length: 4 }, () => client(port)));
    expect(new Set(fresh.map((c) => c.pid))).toEqual(new Set([pidB, pidC]));

    const after = pool.stats();
    expect(after.history.map((w) => [w.pid, w.alive && w.ready])).toEqual([
      [pidA, false],
      [pidB, true],
      [pidC, true],
    ]);
    expect(after.history.find((w) => w.pid === pidA)?.connections).toBe(3);
    expect(after.history.find((w) => w.pid === pidB)?.connections).toBe(5);
    expect(after.history.find((w) => w.pid === pidC)?.connections).toBe(2);
    expect(after).toMatchObject({ accepted: 10, dispatched: 10, dropped: 0 });

    for (const c of fresh) c.socket.end();
    for (const c of onB) c.socket.end();
    await pool.close({ timeout: 2_000 });
    expect(pool.stats().workers).toEqual([]);
    expect(pool.stats().history.every((w) => !w.alive)).toBe(true);
  });

  it('least-busy sends new connections to the worker with fewer open ones', {
    timeout: 20_000,
  }, async () => {
    const pool = await spawnWorkers({
      module: WORKER,
      count: 2,
      host: '127.0.0.1',
      port: 0,
      strategy: 'least-busy',
    });
    pools.push(pool);
    const { port } = pool.address;
    const first = await client(port);
    const second = await client(port);
    expect(second.pid).not.toBe(first.pid);
    second.socket.end();
    await waitFor(
      () => pool.stats().workers.some((w) => w.active === 0),
      5_000,
      'the close report',
    );
    const third = await client(port);
    expect(third.pid).toBe(second.pid);
  });

  it('fails with ERR_WORKER_START when the module does not start, and validates options', async () => {
    await expect(
      spawnWorkers({
        module: '/nonexistent/worker.mjs',
        count: 1,
        host: '127.0.0.1',
        port: 0,
        startTimeout: 5_000,
      }),
    ).rejects.toMatchObject({ code: 'ERR_WORKER_START' });
    await expect(spawnWorkers({ module: WORKER, count: 0, port: 0 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});
