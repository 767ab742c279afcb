import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type LoopMonitor,
  monitorLoop,
  type NetError,
  type PressureReason,
  underPressure,
} from '../src/index.js';

const monitors: LoopMonitor[] = [];
afterEach(() => {
  for (const monitor of monitors.splice(0)) monitor.stop();
});

function monitor(window = 10_000): LoopMonitor {
  const m = monitorLoop({ resolution: 10, window });
  monitors.push(m);
  return m;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Blocks the event loop on purpose, as CPU-heavy inline work would. */
function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('monitorLoop', () => {
  it('reports delay figures that rise when the loop is blocked on purpose', async () => {
    const m = monitor();
    await sleep(50);
    blockFor(200);
    await sleep(50); // let the delay timer fire and record the stall
    const health = m.snapshot();
    expect(health.samples).toBeGreaterThan(0);
    expect(health.max).toBeGreaterThan(100);
    expect(health.p99).toBeGreaterThan(100);
    expect(health.p50).toBeLessThanOrEqual(health.p99);
    expect(health.utilization).toBeGreaterThan(0.3);
    expect(health.utilization).toBeLessThanOrEqual(1);
  });

  it('forgets a stall once it is older than the window', async () => {
    const m = monitor(400);
    await sleep(30); // the delay timer must be running before the stall
    blockFor(150);
    await sleep(30);
    expect(m.snapshot().max).toBeGreaterThan(100);
    await sleep(650); // two rotations of window/2 later the stall is out of both halves
    expect(m.snapshot().max).toBeLessThan(100);
  });

  it('stop() freezes the last figures', async () => {
    const m = monitor();
    await sleep(40);
    m.stop();
    const frozen = m.snapshot();
    blockFor(120);
    await sleep(30);
    expect(m.snapshot()).toEqual(frozen);
  });

  it('validates its options', () => {
    for (const bad of [{ resolution: 0 }, { resolution: 10, window: 15 }]) {
      let code = '';
      try {
        monitorLoop(bad);
      } catch (error) {
        code = (error as NetError).code;
      }
      expect(code).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('underPressure', () => {
  it('is false on an idle loop and names the delay after a stall', async () => {
    const m = monitor();
    await sleep(50);
    expect(underPressure({ monitor: m, maxDelayMs: 1_000, maxUtilization: 1 })).toBe(false);
    blockFor(200);
    await sleep(50);
    const pressure = underPressure({ monitor: m, maxDelayMs: 100, maxUtilization: 1 });
    expect(pressure).toMatchObject({ reason: 'delay', limit: 100 });
    expect((pressure as PressureReason).value).toBeGreaterThan(100);
  });

  it('names the utilization when only that limit is exceeded', async () => {
    const m = monitor();
    await sleep(20);
    blockFor(100);
    await sleep(20);
    const pressure = underPressure({ monitor: m, maxDelayMs: 60_000, maxUtilization: 0.01 });
    expect(pressure).toMatchObject({ reason: 'utilization', limit: 0.01 });
  });

  it('works without a monitor (a shared one starts on first use)', () => {
    expect(underPressure({ maxDelayMs: 60_000, maxUtilization: 1 })).toBe(false);
  });

  it('does not shed the first request: the shared monitor starts with no evidence of pressure', async () => {
    // A fresh module instance: its shared monitor starts on this very call, as in a server
    // that calls underPressure() for its first request.
    vi.resetModules();
    const fresh = (await import('../src/loop-health.js')) as typeof import('../src/loop-health.js');
    blockFor(30); // startup work just before the first request: the loop is fully busy
    expect(fresh.underPressure()).toBe(false); // the README's snippet, default limits
    blockFor(5);
    expect(fresh.underPressure()).toBe(false); // the next request, same tick: still no sample
    await sleep(60); // the shared monitor takes its first samples on an idle loop
    expect(fresh.underPressure()).toBe(false);
  });

  it('is false right after a (re)started monitor, then reports real pressure', async () => {
    const first = monitor();
    await sleep(40);
    first.stop();
    const restarted = monitor(); // a new monitor after a restart: no samples yet
    blockFor(50); // and a busy loop from its first instant
    expect(restarted.snapshot().samples).toBe(0);
    expect(restarted.snapshot().utilization).toBeGreaterThan(0.98); // what used to shed
    expect(underPressure({ monitor: restarted })).toBe(false);
    // Once it has samples, the same calls see the pressure a stall causes.
    await sleep(40);
    blockFor(300);
    await sleep(30);
    const pressure = underPressure({ monitor: restarted });
    expect(pressure).toMatchObject({ reason: 'delay', limit: 200 });
    expect((pressure as PressureReason).health.samples).toBeGreaterThan(0);
  });
});
