import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type NetError, WorkerPool, type WorkerPoolOptions } from '../src/index.js';
import { rejection, until } from './helpers.js';

const tasks = new URL('./fixtures/tasks.mjs', import.meta.url);
const pools: WorkerPool[] = [];

function pool(options: Partial<WorkerPoolOptions> = {}): WorkerPool {
  const p = new WorkerPool({ filename: tasks, maxWorkers: 2, ...options });
  pools.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});

describe('WorkerPool: running tasks', () => {
  it('runs the default export of an ESM module given as URL or as path', async () => {
    expect(await pool().run(41)).toBe(42);
    expect(await pool({ filename: fileURLToPath(tasks) }).run(1)).toBe(2);
    expect(await pool({ filename: tasks.href }).run({ op: 'wait', ms: 1, value: 'async' })).toBe(
      'async',
    );
  });

  it('runs a CommonJS module whose module.exports is the task', async () => {
    const p = pool({ filename: new URL('./fixtures/double.cjs', import.meta.url) });
    expect(await p.map([1, 2, 3])).toEqual([2, 4, 6]);
  });

  it('answers 20,000 pipelined tiny tasks in order and counts them', async () => {
    const p = pool({ maxQueue: Number.POSITIVE_INFINITY });
    const results = await Promise.all(Array.from({ length: 20_000 }, (_, i) => p.run(i)));
    expect(results.every((value, i) => value === i + 1)).toBe(true);
    const stats = p.stats();
    expect(stats).toMatchObject({ completed: 20_000, failed: 0, queued: 0, running: 0 });
    expect(stats.workers).toBeGreaterThanOrEqual(1);
    expect(stats.workers).toBeLessThanOrEqual(2);
    expect(stats.utilization).toBeGreaterThan(0);
    expect(stats.utilization).toBeLessThanOrEqual(1);
  });

  it('map keeps input order, never fills the queue, and rejects with the first error', async () => {
    const p = pool({ maxQueue: 4 });
    const items = Array.from({ length: 200 }, (_, i) => i);
    expect(await p.map(items)).toEqual(items.map((i) => i + 1));
    const error = await rejection(p.map([1, { op: 'throw' }, 3] as never[]));
    expect(error.code).toBe('ERR_TASK_FAILED');
  });

  it('map with a signal: aborting rejects with ERR_ABORTED, without listener warnings', async () => {
    const p = pool({ maxWorkers: 2 });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const items = Array.from({ length: 100 }, () => ({ op: 'wait', ms: 5, value: 1 }));
      const mapped = p.map(items as never[], { signal: controller.signal, concurrency: 40 });
      setTimeout(() => controller.abort(), 30);
      expect((await rejection(mapped)).code).toBe('ERR_ABORTED');
      expect(await p.run(1)).toBe(2);
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('spreads tasks over maxWorkers threads and no more', async () => {
    const p = pool({ maxWorkers: 2, pipeline: 1 });
    const ids = await Promise.all(
      Array.from({ length: 6 }, () => p.run({ op: 'spin', ms: 20 }).then(() => p.stats().workers)),
    );
    expect(Math.max(...ids)).toBe(2);
  });

  it('rejects a task that throws with ERR_TASK_FAILED and keeps the worker', async () => {
    const p = pool({ maxWorkers: 1 });
    const before = await p.run({ op: 'thread' });
    const error = await rejection(p.run({ op: 'throw' }));
    expect(error.code).toBe('ERR_TASK_FAILED');
    const cause = error.cause as Error & { code: string };
    expect(cause).toBeInstanceOf(Error);
    expect(cause.name).toBe('RangeError');
    expect(cause.code).toBe('E_ON_PURPOSE');
    expect(await p.run({ op: 'thread' })).toBe(before);
  });

  it('transfers the transferList: the source buffer is detached', async () => {
    const data = new Uint8Array(64 * 1024).fill(7);
    const result = await pool().run({ op: 'bytes', data }, { transferList: [data.buffer] });
    expect(result).toBe(64 * 1024);
    expect(data.byteLength).toBe(0);
    expect(data.buffer.byteLength).toBe(0);
  });

  it('rejects with ERR_WORKER_INIT when the module is missing or has no default function', async () => {
    const missing = pool({ filename: new URL('./fixtures/missing.mjs', import.meta.url) });
    expect((await rejection(missing.run(1))).code).toBe('ERR_WORKER_INIT');
    const noDefault = pool({ filename: new URL('./fixtures/no-default.mjs', import.meta.url) });
    expect((await rejection(noDefault.run(1))).code).toBe('ERR_WORKER_INIT');
  });

  it('validates its options', () => {
    for (const bad of [{ maxWorkers: 0 }, { minWorkers: 3, maxWorkers: 2 }, { maxQueue: -1 }]) {
      let code = '';
      try {
        new WorkerPool({ filename: tasks, ...bad });
      } catch (error) {
        code = (error as NetError).code;
      }
      expect(code).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('WorkerPool: failures and limits', () => {
  it('replaces a worker that calls process.exit; only its task fails', async () => {
    const p = pool({ maxWorkers: 1 });
    const first = await p.run({ op: 'thread' });
    const exiting = p.run({ op: 'exit', code: 3 });
    const behind = Array.from({ length: 5 }, (_, i) => p.run(i)); // may be pipelined behind it
    const error = (await rejection(exiting)) as NetError & { exitCode: number };
    expect(error.code).toBe('ERR_WORKER_EXITED');
    expect(error.exitCode).toBe(3);
    expect(await Promise.all(behind)).toEqual([1, 2, 3, 4, 5]);
    expect(await p.run({ op: 'thread' })).not.toBe(first);
    expect(p.stats()).toMatchObject({ workers: 1, failed: 1 });
  });

  it('replaces a worker killed by an uncaught exception; only its task fails', async () => {
    const p = pool({ maxWorkers: 1 });
    const error = await rejection(p.run({ op: 'uncaught' }));
    expect(error.code).toBe('ERR_WORKER_CRASHED');
    expect((error.cause as Error).message).toBe('uncaught on purpose');
    expect(await p.run(9)).toBe(10);
  });

  it('rejects with ERR_QUEUE_FULL when maxQueue tasks are waiting', async () => {
    const p = pool({ maxWorkers: 1, maxQueue: 2, pipeline: 1 });
    const busy = p.run({ op: 'spin', ms: 200 });
    const queued = [p.run(1), p.run(2)];
    const error = (await rejection(p.run(3))) as NetError & { maxQueue: number };
    expect(error.code).toBe('ERR_QUEUE_FULL');
    expect(error.maxQueue).toBe(2);
    expect(p.stats()).toMatchObject({ queued: 2, running: 1 });
    expect(await busy).toBe('spun');
    expect(await Promise.all(queued)).toEqual([2, 3]);
  });

  it('cancels a queued task: it leaves the queue and never runs', async () => {
    const p = pool({ maxWorkers: 1, pipeline: 1 });
    const busy = p.run({ op: 'spin', ms: 150 });
    const controller = new AbortController();
    const cancelled = p.run({ op: 'exit', code: 9 }, { signal: controller.signal });
    expect(p.stats().queued).toBe(1);
    controller.abort();
    const error = (await rejection(cancelled)) as NetError & { started: boolean };
    expect(error.code).toBe('ERR_ABORTED');
    expect(error.started).toBe(false);
    expect(p.stats().queued).toBe(0);
    expect(await busy).toBe('spun');
    expect(await p.run(1)).toBe(2); // the exit task never ran: same worker still answers
    expect(p.stats().workers).toBe(1);
  });

  it('cancels a running task by terminating and replacing its worker', async () => {
    const p = pool({ maxWorkers: 1 });
    const first = await p.run({ op: 'thread' });
    const controller = new AbortController();
    const running = p.run({ op: 'spin', ms: 20_000 }, { signal: controller.signal });
    const behind = p.run(5); // queued, or pipelined behind the running task
    const { running: inWorker, queued } = p.stats();
    expect(inWorker + queued).toBe(2);
    setTimeout(() => controller.abort(), 50);
    const error = (await rejection(running)) as NetError & { started: boolean };
    expect(error.code).toBe('ERR_ABORTED');
    expect(error.started).toBe(true);
    expect(await behind).toBe(6);
    expect(await p.run({ op: 'thread' })).not.toBe(first);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const error = await rejection(pool().run(1, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('ERR_ABORTED');
  });

  it('close() finishes queued work, then refuses new tasks and ends the workers', async () => {
    const p = pool({ maxWorkers: 1, pipeline: 1 });
    const work = [
      p.run({ op: 'spin', ms: 30 }),
      p.run(1),
      p.run({ op: 'wait', ms: 20, value: 'w' }),
    ];
    const closed = p.close();
    expect((await rejection(p.run(2))).code).toBe('ERR_POOL_CLOSED');
    expect(await Promise.all(work)).toEqual(['spun', 2, 'w']);
    await closed;
    expect(p.stats()).toMatchObject({ workers: 0, completed: 3 });
  });

  it('destroy() rejects running and queued tasks with ERR_POOL_DESTROYED', async () => {
    const p = pool({ maxWorkers: 1, pipeline: 1 });
    const running = p.run({ op: 'spin', ms: 20_000 });
    const queued = p.run(1);
    const outcomes = [rejection(running), rejection(queued)];
    await p.destroy();
    expect((await Promise.all(outcomes)).map((e) => e.code)).toEqual([
      'ERR_POOL_DESTROYED',
      'ERR_POOL_DESTROYED',
    ]);
    expect(p.stats()).toMatchObject({ workers: 0, queued: 0, running: 0 });
  });

  it('retires idle workers above minWorkers after idleTimeout', async () => {
    const p = pool({ maxWorkers: 2, minWorkers: 1, idleTimeout: 400, pipeline: 1 });
    await Promise.all([p.run({ op: 'spin', ms: 30 }), p.run({ op: 'spin', ms: 30 })]);
    expect(p.stats().workers).toBe(2);
    await until(() => p.stats().workers === 1);
  });
});
