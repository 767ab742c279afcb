// Task module for the event-loop bench: a fixed amount of pure CPU work (`iterations` rounds
// of integer arithmetic), so that every pool is given the same work however busy the machine.
export default function work(iterations) {
  let x = 1;
  for (let i = 0; i < iterations; i++) x = (x * 31 + i) % 1000003;
  return x;
}

/** How many iterations take about `ms` milliseconds on this thread (median of 5 probes). */
export function calibrate(ms) {
  const probe = 200_000;
  const times = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    work(probe);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return Math.round((probe * ms) / times[2]);
}
