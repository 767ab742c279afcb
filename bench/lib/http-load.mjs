// The load loop of the HTTP client suites: `concurrency` loops each sending one request
// after another, until `requests` were started or `maxMs` passed (both bounds always apply).

/**
 * Requests per second of `one` (which sends a request and returns its body's length),
 * every length checked by `check`, and the requests done: the work that `compare` divides
 * by this process's CPU time, the client's CPU efficiency.
 *
 * @param {() => Promise<number>} one
 * @param {{ concurrency: number, requests: number, maxMs: number, check: (length: number) => void }} options
 */
export async function requestsPerSecond(one, { concurrency, requests, maxMs, check }) {
  let started = 0;
  let completed = 0;
  const start = performance.now();
  const deadline = start + maxMs;
  const worker = async () => {
    while (started < requests && performance.now() < deadline) {
      started++;
      check(await one());
      completed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { rate: completed / ((performance.now() - start) / 1000), work: completed };
}
