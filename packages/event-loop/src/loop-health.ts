/**
 * Loop health: how late the event loop runs timers (delay percentiles) and how busy it is
 * (utilization), over a sliding window, and a cheap `underPressure()` check for load shedding.
 */
import {
  type EventLoopUtilization,
  type IntervalHistogram,
  monitorEventLoopDelay,
  performance,
} from 'node:perf_hooks';
import { checkCount, checkMs, withDefaults } from '@net/core';
import { InvalidArgumentError } from './errors.js';

/** Options of {@link monitorLoop}. Defaults in {@link MONITOR_LOOP_DEFAULTS}. */
export interface MonitorLoopOptions {
  /** Sampling interval of the delay timer, in ms (>= 1). */
  resolution?: number;
  /** Length of the sliding window the figures cover, in ms (>= 2 × resolution). */
  window?: number;
}

/** Defaults of {@link MonitorLoopOptions}. */
export const MONITOR_LOOP_DEFAULTS = {
  /** A sample every 10 ms. */
  resolution: 10,
  /** The last 10 s. */
  window: 10_000,
} as const satisfies Required<MonitorLoopOptions>;

/** One reading of a {@link LoopMonitor}. Delays in milliseconds. */
export interface LoopHealth {
  /** Median event-loop delay. */
  p50: number;
  /** 99th-percentile event-loop delay. */
  p99: number;
  /** Largest event-loop delay. */
  max: number;
  /** Fraction of time the loop was busy (not waiting for I/O), 0–1. */
  utilization: number;
  /** Delay samples behind the figures. */
  samples: number;
  /** Milliseconds the figures cover: between window/2 and window once running that long. */
  spanMs: number;
}

/** A running loop monitor from {@link monitorLoop}. */
export interface LoopMonitor {
  /** The figures over the last window (between window/2 and window ms of history). */
  snapshot(): LoopHealth;
  /** Stops sampling; `snapshot()` then returns the last figures. Idempotent. */
  stop(): void;
  /** The options in force. */
  readonly options: Readonly<Required<MonitorLoopOptions>>;
}

interface Half {
  histogram: IntervalHistogram;
  since: number;
  elu: EventLoopUtilization;
}

/**
 * Starts measuring the event loop: delay percentiles with `perf_hooks.monitorEventLoopDelay`
 * and utilization with `performance.eventLoopUtilization`, over a sliding window made of two
 * histograms reset alternately every window/2. Its timers do not keep the process alive.
 *
 * @example
 * ```ts
 * const monitor = monitorLoop({ window: 5_000 });
 * setInterval(() => console.log(monitor.snapshot()), 5_000).unref();
 * ```
 */
export function monitorLoop(options: MonitorLoopOptions = {}): LoopMonitor {
  const opts: Readonly<Required<MonitorLoopOptions>> = withDefaults(
    MONITOR_LOOP_DEFAULTS,
    options,
    'monitorLoop options',
  );
  checkMs('resolution', opts.resolution);
  checkCount('resolution', opts.resolution, 1);
  checkMs('window', opts.window);
  if (!(opts.window >= 2 * opts.resolution)) {
    throw new InvalidArgumentError(
      `window (${opts.window} ms) must be at least twice the resolution (${opts.resolution} ms)`,
    );
  }
  const start = (): Half => {
    const histogram = monitorEventLoopDelay({ resolution: opts.resolution });
    histogram.enable();
    return { histogram, since: performance.now(), elu: performance.eventLoopUtilization() };
  };
  const halves: [Half, Half] = [start(), start()];
  let older = 0;
  let last: LoopHealth | undefined;
  const rotate = setInterval(() => {
    const half = halves[older]!;
    half.histogram.reset();
    half.since = performance.now();
    half.elu = performance.eventLoopUtilization();
    older ^= 1;
  }, opts.window / 2);
  rotate.unref();

  const read = (): LoopHealth => {
    const { histogram, since, elu } = halves[older]!;
    const samples = histogram.count;
    const ms = (ns: number) => ns / 1e6;
    return {
      p50: samples === 0 ? 0 : ms(histogram.percentile(50)),
      p99: samples === 0 ? 0 : ms(histogram.percentile(99)),
      max: samples === 0 ? 0 : ms(histogram.max),
      utilization: performance.eventLoopUtilization(performance.eventLoopUtilization(), elu)
        .utilization,
      samples,
      spanMs: performance.now() - since,
    };
  };
  return {
    options: opts,
    snapshot: () => last ?? read(),
    stop() {
      if (last !== undefined) return;
      last = read();
      clearInterval(rotate);
      for (const half of halves) half.histogram.disable();
    },
  };
}

/** Options of {@link underPressure}. Defaults in {@link UNDER_PRESSURE_DEFAULTS}. */
export interface PressureOptions {
  /** Event-loop delay (p99 over the window, ms) above which the loop is under pressure. */
  maxDelayMs?: number;
  /** Utilization (0–1 over the window) above which the loop is under pressure. */
  maxUtilization?: number;
  /**
   * The monitor to consult. Default: one shared monitor with a 1 s window and 10 ms
   * resolution, started on the first call (its timers do not keep the process alive).
   */
  monitor?: LoopMonitor;
}

/** Defaults of {@link PressureOptions}. */
export const UNDER_PRESSURE_DEFAULTS = {
  /** 200 ms of p99 delay. */
  maxDelayMs: 200,
  /** 98 % busy. */
  maxUtilization: 0.98,
} as const satisfies Required<Omit<PressureOptions, 'monitor'>>;

/** Why {@link underPressure} says the loop is under pressure. */
export interface PressureReason {
  /** Which limit was exceeded (delay is checked first). */
  reason: 'delay' | 'utilization';
  /** The measured value (ms for delay, 0–1 for utilization). */
  value: number;
  /** The limit it exceeded. */
  limit: number;
  /** The figures the decision was made on. */
  health: LoopHealth;
}

let shared: LoopMonitor | undefined;
const cache = new WeakMap<LoopMonitor, { at: number; health: LoopHealth }>();

/**
 * A cheap check for load shedding: returns `false` when the loop is healthy, or a truthy
 * {@link PressureReason} saying which limit is exceeded. Servers call it per request and
 * refuse new work (503, `ERR_QUEUE_FULL`, a busy reply) while it is truthy, instead of
 * slowing every client down. Readings are cached for one monitor resolution (10 ms).
 * A monitor that has not taken its first delay sample yet (for about two resolutions after
 * it starts, so on the first calls after startup) gives no evidence either way: `false`.
 *
 * @example
 * ```ts
 * const pressure = underPressure({ maxDelayMs: 100 });
 * if (pressure) return reply503(`busy: ${pressure.reason}`);
 * ```
 */
export function underPressure(options: PressureOptions = {}): false | PressureReason {
  const { maxDelayMs, maxUtilization, monitor } = withDefaults(
    UNDER_PRESSURE_DEFAULTS,
    options,
    'underPressure options',
  ) as Required<Omit<PressureOptions, 'monitor'>> & { monitor?: LoopMonitor };
  if (monitor === undefined && shared === undefined) {
    shared = monitorLoop({ resolution: 10, window: 1_000 });
  }
  const source = monitor ?? shared!;
  const now = performance.now();
  let entry = cache.get(source);
  if (entry === undefined || now - entry.at >= source.options.resolution) {
    entry = { at: now, health: source.snapshot() };
    // A monitor that has not yet taken a delay sample (it started under two resolutions
    // ago) covers too short a span to mean anything: its utilization is the busy fraction
    // of the call that started it, ~1. No evidence is not pressure; nor is it cached, so
    // the first real reading is used as soon as it exists.
    if (entry.health.samples === 0) return false;
    cache.set(source, entry);
  }
  const { health } = entry;
  if (health.p99 > maxDelayMs) {
    return { reason: 'delay', value: health.p99, limit: maxDelayMs, health };
  }
  if (health.utilization > maxUtilization) {
    return { reason: 'utilization', value: health.utilization, limit: maxUtilization, health };
  }
  return false;
}
