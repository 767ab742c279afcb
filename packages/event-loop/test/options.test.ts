import { AbortedError, InvalidArgumentError, MAX_TIMER_MS } from '@net/core';
import { thrown } from '@net/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EventLoop,
  monitorLoop,
  TaskAbortedError,
  underPressure,
  WORKER_POOL_DEFAULTS,
  WorkerPool,
} from '../src/index.js';
import { rejection } from './helpers.js';

const tasks = new URL('./fixtures/tasks.mjs', import.meta.url);
const pools: WorkerPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});

function pool(options: Omit<ConstructorParameters<typeof WorkerPool>[0], 'filename'>): WorkerPool {
  const p = new WorkerPool({ filename: tasks, ...options });
  pools.push(p);
  return p;
}

describe('WorkerPool options: undefined means the default, timers are capped', () => {
  it('options set to undefined take their defaults (they used to be refused)', async () => {
    const p = pool({
      minWorkers: undefined,
      maxWorkers: undefined,
      idleTimeout: undefined,
      maxQueue: undefined,
      pipeline: undefined,
    });
    expect(p.options).toMatchObject({ ...WORKER_POOL_DEFAULTS });
    expect(await p.run(1)).toBe(2);
  });

  it('idleTimeout: 0 and 2^31-1 ms are accepted, 2^31 and -1 are refused', () => {
    expect(pool({ idleTimeout: 0 }).options.idleTimeout).toBe(0);
    expect(pool({ idleTimeout: MAX_TIMER_MS }).options.idleTimeout).toBe(MAX_TIMER_MS);
    for (const idleTimeout of [MAX_TIMER_MS + 1, -1, Number.NaN]) {
      const error = thrown(() => pool({ idleTimeout }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('counts at their minimum are accepted, one less refused; maxQueue may be Infinity', () => {
    expect(() => pool({ maxWorkers: 1, minWorkers: 0, maxQueue: 0, pipeline: 1 })).not.toThrow();
    expect(pool({ maxQueue: Number.POSITIVE_INFINITY }).options.maxQueue).toBe(Infinity);
    for (const bad of [{ maxWorkers: 0 }, { minWorkers: -1 }, { maxQueue: -1 }, { pipeline: 0 }]) {
      expect(thrown(() => pool(bad)).code).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(thrown(() => pool({ maxWorkers: Number.POSITIVE_INFINITY })).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('null options and a signal that is not an AbortSignal are refused', async () => {
    expect(thrown(() => new WorkerPool(null as never)).code).toBe('ERR_INVALID_ARGUMENT');
    const p = pool({});
    const error = await rejection(p.run(1, { signal: 'stop' as never }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
  });

  it("an aborted task is core's AbortedError, with the caller's reason as cause", async () => {
    const error = await rejection(pool({}).run(1, { signal: AbortSignal.abort('enough') }));
    expect(error).toBeInstanceOf(TaskAbortedError);
    expect(error).toBeInstanceOf(AbortedError);
    expect(error.cause).toBe('enough');
  });

  it("map: an already-aborted signal rejects with ERR_ABORTED and the caller's reason", async () => {
    const error = await rejection(pool({}).map([1, 2, 3], { signal: AbortSignal.abort('no') }));
    expect(error.code).toBe('ERR_ABORTED');
    expect(error.cause).toBe('no');
  });
});

describe('EventLoop and loop-health options', () => {
  it('EventLoop: undefined options take their defaults; maxPending 0 ok, -1 refused', () => {
    expect(() => new EventLoop({ maxPending: undefined, onError: undefined })).not.toThrow();
    expect(() => new EventLoop({ maxPending: 0 })).not.toThrow();
    expect(thrown(() => new EventLoop({ maxPending: -1 })).code).toBe('ERR_INVALID_ARGUMENT');
    expect(thrown(() => new EventLoop({ onError: 'log' as never })).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('monitorLoop: undefined options take their defaults; window is capped at 2^31-1 ms', () => {
    const m = monitorLoop({ resolution: undefined, window: undefined });
    expect(m.options).toEqual({ resolution: 10, window: 10_000 });
    m.stop();
    const longest = monitorLoop({ resolution: 10, window: MAX_TIMER_MS });
    longest.stop();
    expect(thrown(() => monitorLoop({ window: MAX_TIMER_MS + 1 })).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(() => monitorLoop({ resolution: 1, window: 2 }).stop()).not.toThrow();
    expect(thrown(() => monitorLoop({ resolution: 1, window: 1 })).code).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });

  it('underPressure: thresholds set to undefined take their defaults', async () => {
    const m = monitorLoop({ resolution: 10, window: 10_000 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50)); // the delay timer starts sampling
      const until = performance.now() + 300;
      while (performance.now() < until) {
        // a 300 ms stall: over the default maxDelayMs of 200
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      const pressure = underPressure({
        monitor: m,
        maxDelayMs: undefined,
        maxUtilization: undefined,
      });
      expect(pressure).toMatchObject({ reason: 'delay', limit: 200 });
    } finally {
      m.stop();
    }
  });
});
