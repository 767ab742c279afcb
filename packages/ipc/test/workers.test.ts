// Recipe 11.11: a primary passes accepted sockets to worker processes (test/fixtures/echo-worker.mjs).
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { getWorkerData, spawnWorkers, type WorkerPool } from '../src/index.js';
import { DATA_WORKER, WORKER, waitFor, withTimeout } from './helpers.js';

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

async function rawSocket(port: number): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await withTimeout(once(socket, 'connect'), 5_000, () => 'no connect');
  return socket;
}

/** When `socket` closes (it must read to see the server's FIN). */
function closedAt(socket: Socket): Promise<number> {
  socket.resume();
  return once(socket, 'close').then(() => performance.now());
}

/** Connects, asks for the pid, and reports whether the primary closed the socket unanswered. */
async function refusedClient(port: number): Promise<string> {
  const socket = await rawSocket(port);
  let answered = false;
  socket.on('data', () => {
    answered = true;
  });
  socket.write('pid\n');
  await withTimeout(once(socket, 'close'), 5_000, () => 'the refused socket stayed open');
  return answered ? 'answered' : 'closed without an answer';
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

  it('maxConnections across the service: exactly the limit is served, one more is closed at once and counted as refused', {
    timeout: 20_000,
  }, async () => {
    const pool = await spawnWorkers({
      module: WORKER,
      count: 2,
      host: '127.0.0.1',
      port: 0,
      maxConnections: 3,
    });
    pools.push(pool);
    const { port } = pool.address;
    const served = [await client(port), await client(port), await client(port)];
    expect(new Set(served.map((c) => c.pid)).size).toBe(2);
    expect(await refusedClient(port)).toBe('closed without an answer');
    expect(pool.stats()).toMatchObject({ accepted: 4, dispatched: 3, refused: 1, active: 3 });
    served[0]?.socket.end();
    await waitFor(() => pool.stats().active === 2, 5_000, 'the close report');
    const again = await client(port);
    expect(await again.ask('still')).toBe('still');
    expect(pool.stats()).toMatchObject({ accepted: 5, dispatched: 4, refused: 1, active: 3 });
  });

  it('sockets waiting for a worker: maxWaiting at its boundary, closed after waitTimeout', {
    timeout: 20_000,
  }, async () => {
    const waitTimeout = 800;
    const pool = await spawnWorkers({
      module: WORKER,
      count: 1,
      host: '127.0.0.1',
      port: 0,
      restart: false,
      maxWaiting: 2,
      waitTimeout,
    });
    pools.push(pool);
    const { port } = pool.address;
    process.kill(pool.pids[0] as number, 'SIGKILL');
    await waitFor(() => pool.stats().workers.length === 0, 5_000, 'the worker to exit');
    const opened = performance.now();
    const waiting = [await rawSocket(port), await rawSocket(port)];
    const closes = waiting.map((socket) => closedAt(socket));
    await waitFor(() => pool.stats().waiting === 2, 5_000, 'two waiting');
    expect(await refusedClient(port)).toBe('closed without an answer');
    expect(pool.stats()).toMatchObject({ waiting: 2, waitRefused: 1, waitTimeouts: 0, active: 2 });
    const closedAfter = await withTimeout(Promise.all(closes), 5_000, () => 'still waiting');
    for (const at of closedAfter) expect(at - opened).toBeGreaterThanOrEqual(waitTimeout - 50);
    expect(pool.stats()).toMatchObject({
      accepted: 3,
      waiting: 0,
      waitRefused: 1,
      waitTimeouts: 2,
      dispatched: 0,
      active: 0,
    });
  });

  it('a socket that arrives while every worker restarts waits, and the replacement serves it', {
    timeout: 30_000,
  }, async () => {
    const pool = await spawnWorkers({
      module: WORKER,
      count: 1,
      host: '127.0.0.1',
      port: 0,
      restartDelay: 1_000,
      waitTimeout: 20_000,
    });
    pools.push(pool);
    const { port } = pool.address;
    const [first] = pool.pids as [number];
    process.kill(first, 'SIGKILL');
    await waitFor(() => pool.stats().workers.length === 0, 5_000, 'the worker to exit');
    const socket = await rawSocket(port);
    await waitFor(() => pool.stats().waiting === 1, 5_000, 'the socket to wait');
    socket.write('pid\n');
    const [answer] = (await withTimeout(once(socket, 'data'), 20_000, () => 'no answer')) as [
      Buffer,
    ];
    const pid = Number(answer.toString().trim());
    expect(pid).toBe(pool.pids[0]);
    expect(pid).not.toBe(first);
    expect(pool.stats()).toMatchObject({ waiting: 0, waitTimeouts: 0, dispatched: 1 });
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
    for (const bad of [
      { maxWaiting: -1 },
      { waitTimeout: 2 ** 31 },
      { maxConnections: 1.5 },
      { workerData: 1n },
      { workerData: () => 1 },
    ]) {
      await expect(spawnWorkers({ module: WORKER, port: 0, ...bad })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    }
  });

  it('hands each worker its workerData over the IPC channel, not the environment, replacements too', {
    timeout: 30_000,
  }, async () => {
    const secret = { keyHex: 'a1'.repeat(32), limits: [1, 2, 3], nested: { on: true } };
    const pool = await spawnWorkers({
      module: DATA_WORKER,
      count: 2,
      host: '127.0.0.1',
      port: 0,
      restartDelay: 50,
      workerData: secret,
      env: { ...process.env, NET_IPC_TEST_VISIBLE: '1' },
    });
    pools.push(pool);
    const first = await client(pool.address.port);
    expect(JSON.parse((await first.ask('data')) ?? 'null')).toEqual(secret);
    // The environment is exactly what `env` said: workerData adds nothing to it.
    expect(JSON.parse((await first.ask('env')) ?? 'null')).toEqual(['NET_IPC_TEST_VISIBLE']);
    first.socket.destroy();
    const killed = first.pid;
    process.kill(killed, 'SIGKILL');
    await waitFor(
      () => pool.stats().restarts === 1 && pool.stats().workers.every((w) => w.ready),
      10_000,
      'the killed worker was not replaced',
    );
    const asked = new Set<number>();
    for (let i = 0; i < 4 && asked.size < 2; i++) {
      const next = await client(pool.address.port);
      asked.add(next.pid);
      expect(JSON.parse((await next.ask('data')) ?? 'null')).toEqual(secret);
      next.socket.destroy();
    }
    expect(asked.has(killed)).toBe(false);
    expect(asked.size).toBe(2);
  });

  it('workerData defaults to null; getWorkerData() outside a worker is ERR_INVALID_ARGUMENT', async () => {
    const pool = await spawnWorkers({ module: DATA_WORKER, count: 1, host: '127.0.0.1', port: 0 });
    pools.push(pool);
    const one = await client(pool.address.port);
    expect(await one.ask('data')).toBe('null');
    const send = process.send;
    try {
      process.send = undefined;
      expect(() => getWorkerData()).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    } finally {
      process.send = send;
    }
  });
});
