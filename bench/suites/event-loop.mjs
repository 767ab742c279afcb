// @net/event-loop: WorkerPool against piscina (the pool Node developers pick today) on
// 100,000 tiny tasks and 1,000 CPU-bound ~5 ms tasks, same maxWorkers, measured alternately
// in the same run (target >= 1.0x on both); and the reason a pool exists: event-loop delay
// p99 while CPU-heavy work runs inline versus on the pool.
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { WorkerPool } from '@net/event-loop';
import { Piscina } from 'piscina';
import { compare, median, table } from '../lib/compare.mjs';
import work, { calibrate } from '../lib/event-loop-cpu.mjs';

export const description =
  'WorkerPool vs piscina (100k tiny tasks, 1k x 5 ms CPU tasks) and loop delay inline vs pool';

const tinyModule = new URL('../lib/event-loop-tiny.mjs', import.meta.url);
const cpuModule = new URL('../lib/event-loop-cpu.mjs', import.meta.url);

/** Submits `count` tasks at once, awaits them all; returns tasks per second. */
async function throughput(pool, count, arg) {
  const pending = new Array(count);
  const start = performance.now();
  for (let i = 0; i < count; i++) pending[i] = pool.run(arg ?? i);
  const results = await Promise.all(pending);
  const seconds = (performance.now() - start) / 1000;
  if (arg === undefined && results[count - 1] !== count) throw new Error('wrong result');
  return count / seconds;
}

async function warm(pool, workers) {
  await Promise.all(Array.from({ length: workers * 50 }, (_, i) => pool.run(i)));
}

/** p99 and max event-loop delay (ms) while `work()` runs. */
async function loopDelayDuring(work) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const start = performance.now();
  await work();
  const seconds = (performance.now() - start) / 1000;
  histogram.disable();
  return { p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6, seconds };
}

export async function run({ rounds }) {
  const workers = Number(process.env.BENCH_WORKERS ?? Math.min(2, availableParallelism()));
  const tinyCount = Number(process.env.BENCH_TINY_TASKS ?? 100_000);
  const cpuCount = Number(process.env.BENCH_CPU_TASKS ?? 1_000);
  const cpuMs = 5;
  const cpuWork = calibrate(cpuMs); // iterations that take ~5 ms on this machine
  const sized = { minThreads: workers, maxThreads: workers, maxQueue: Number.POSITIVE_INFINITY };
  const ours = { minWorkers: workers, maxWorkers: workers, maxQueue: Number.POSITIVE_INFINITY };
  const piscina = (filename) => new Piscina({ filename: filename.href, ...sized });
  const workerPool = (filename, extra) => new WorkerPool({ filename, ...ours, ...extra });
  /** A fresh, warmed pool per measurement, destroyed after it: no idle pool shares the CPU. */
  const measure = (create, count, arg) => async () => {
    const pool = create();
    try {
      await warm(pool, workers);
      return await throughput(pool, count, arg);
    } finally {
      await pool.destroy();
    }
  };
  const delayPool = workerPool(cpuModule);
  try {
    const tiny = await compare({
      baseline: { label: 'baseline: piscina', run: measure(() => piscina(tinyModule), tinyCount) },
      candidates: [
        { label: 'WorkerPool', run: measure(() => workerPool(tinyModule), tinyCount) },
        {
          label: 'WorkerPool, pipeline: 1 (one task in flight per worker, like piscina)',
          run: measure(() => workerPool(tinyModule, { pipeline: 1 }), tinyCount),
        },
      ],
      rounds,
    });
    const cpu = await compare({
      baseline: {
        label: 'baseline: piscina',
        run: measure(() => piscina(cpuModule), cpuCount, cpuWork),
      },
      candidates: [
        { label: 'WorkerPool', run: measure(() => workerPool(cpuModule), cpuCount, cpuWork) },
      ],
      rounds,
    });

    // Loop delay: the same CPU work inline (yielding between tasks, the best inline can do;
    // and all at once, as a naive handler does) and on the pool; 200 tasks of ~5 ms each.
    await warm(delayPool, workers);
    const delayTasks = 200;
    const inline = [];
    const inlineBatch = [];
    const onPool = [];
    for (let round = 0; round < rounds; round++) {
      inline.push(
        await loopDelayDuring(async () => {
          for (let i = 0; i < delayTasks; i++) {
            work(cpuWork);
            await yieldToLoop();
          }
        }),
      );
      inlineBatch.push(
        await loopDelayDuring(async () => {
          await sleep(5); // the delay timer is running before the stall and records it after
          for (let i = 0; i < delayTasks; i++) work(cpuWork);
          await sleep(5);
        }),
      );
      onPool.push(
        await loopDelayDuring(() =>
          Promise.all(Array.from({ length: delayTasks }, () => delayPool.run(cpuWork))),
        ),
      );
    }
    const row = (label, samples) =>
      `| ${label} | ${median(samples.map((s) => s.p99)).toFixed(2)} | ${median(samples.map((s) => s.max)).toFixed(2)} | ${median(samples.map((s) => delayTasks / s.seconds)).toFixed(0)} |`;
    const delayTable = [
      '| where the work runs | loop delay p99 ms (median) | loop delay max ms (median) | tasks/s |',
      '|---|---:|---:|---:|',
      row('inline, the whole batch in one turn (what a naive handler does)', inlineBatch),
      row('inline, yielding to the loop (setImmediate) between tasks', inline),
      row(`WorkerPool, ${workers} workers`, onPool),
    ].join('\n');

    return {
      title: `event-loop: WorkerPool vs piscina ${Piscina.version ?? '5.3.2'}, ${workers} workers each, ${rounds} rounds`,
      table: [
        `${tinyCount.toLocaleString('en')} tiny tasks (n => n + 1), all submitted at once:`,
        table(tiny, 'tasks/s'),
        `${cpuCount.toLocaleString('en')} CPU-bound tasks of ~${cpuMs} ms, all submitted at once:`,
        table(cpu, 'tasks/s'),
        `Event-loop delay while ${delayTasks} CPU tasks of ~${cpuMs} ms run (monitorEventLoopDelay, 1 ms resolution):`,
        delayTable,
      ].join('\n\n'),
      notes: [
        `Each CPU task is ${cpuWork.toLocaleString('en')} iterations of integer arithmetic (~${cpuMs} ms when calibrated). Ideal CPU-task rate with ${workers} workers: ${((workers * 1000) / cpuMs).toFixed(0)} tasks/s; the machine is shared, so only same-run ratios count.`,
        'Task modules: bench/lib/event-loop-tiny.mjs and bench/lib/event-loop-cpu.mjs; every measurement creates its pool (min = max workers), warms it up, times it and destroys it, so no idle pool shares the CPU.',
      ],
    };
  } finally {
    await delayPool.destroy();
  }
}
