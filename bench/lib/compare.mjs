// The comparison at the heart of every suite: a baseline and candidates measured
// alternately, round after round, in the same process and the same minutes, so the
// shared machine's noise hits all of them alike. Only same-run ratios are reported.
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * @typedef {object} Case
 * @property {string} label
 * @property {() => Promise<number | { rate: number, work: number, cpu?: number }>} run  one
 *   measurement; returns a rate (higher is better), or the rate and the work done (round
 *   trips, handshakes, bytes): then the row also gets its CPU efficiency, work per
 *   CPU-second of the server under test during the measurement: `cpu` when given (the
 *   CPU-seconds of a server in another process, from /proc/<pid>/stat), else this
 *   process's own CPU time (when the server runs here)
 */

/**
 * Runs `warmup` unrecorded rounds, then `rounds` recorded ones. Each round runs every
 * case once; the order alternates (forwards, then backwards) so that no case always
 * goes first, and the heap is collected before each measurement (when node runs with
 * --expose-gc), then `settleMs` pass so that the background threads freeing one case's
 * garbage do not take CPU from the next case. Returns one row
 * per case: the median rate, and the median over rounds of the ratio to the baseline
 * measured in the same round (paired, so slow minutes of the machine cancel out). Cases
 * that report their work also get `efficiency` (median work per CPU-second of this process)
 * and, when the baseline reports it too, `efficiencyRatio` (paired like `ratio`): the
 * steadier figure on a shared machine, since it does not depend on how much CPU the
 * neighbours leave.
 *
 * @param {{ baseline: Case, candidates: Case[], rounds?: number, warmup?: number, settleMs?: number }} options
 */
export async function compare({ baseline, candidates, rounds = 5, warmup = 1, settleMs = 300 }) {
  const cases = [baseline, ...candidates];
  const samples = new Map(cases.map((c) => [c, []]));
  const efficiencies = new Map(cases.map((c) => [c, []]));
  for (let round = -warmup; round < rounds; round++) {
    const order = round % 2 === 0 ? cases : [...cases].reverse();
    for (const c of order) {
      globalThis.gc?.();
      await sleep(settleMs);
      const before = process.cpuUsage();
      const result = await c.run();
      const cpu = process.cpuUsage(before);
      if (round < 0) continue;
      if (typeof result === 'number') {
        samples.get(c).push(result);
      } else {
        samples.get(c).push(result.rate);
        const seconds = result.cpu ?? (cpu.user + cpu.system) / 1e6;
        efficiencies.get(c).push(result.work / seconds);
      }
    }
  }
  const rows = cases.map((c) => {
    const values = samples.get(c);
    const efficiency = efficiencies.get(c);
    const row = {
      label: c.label,
      median: median(values),
      min: Math.min(...values),
      max: Math.max(...values),
      isBaseline: c === baseline,
      /** Per round, for pairing two rows with `pairedRatio`. */
      rates: values,
    };
    if (efficiency.length === values.length) {
      row.efficiency = median(efficiency);
      row.efficiencies = efficiency;
    }
    return row;
  });
  const baseRow = rows[0];
  for (const row of rows) {
    const { ratio, efficiencyRatio } = pairedRatio(row, baseRow);
    row.ratio = ratio;
    if (efficiencyRatio !== undefined) row.efficiencyRatio = efficiencyRatio;
  }
  return rows;
}

/**
 * The median over rounds of `row` / `reference` measured in the same round, in rate and
 * (when both have it) in CPU efficiency: two rows of one `compare()` paired (`ratio` is each row against the baseline).
 */
export function pairedRatio(row, reference) {
  const ratio = median(row.rates.map((value, round) => value / reference.rates[round]));
  const efficiencyRatio =
    row.efficiencies === undefined || reference.efficiencies === undefined
      ? undefined
      : median(row.efficiencies.map((value, round) => value / reference.efficiencies[round]));
  return { ratio, efficiencyRatio };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Renders rows from {@link compare} as a markdown table; with `workUnit` (what the cases
 * count as work), rows that measured their CPU efficiency get two more columns, headed as
 * CPU-seconds of `cpuOf` (the server, or the client when the client is what is measured).
 */
export function table(rows, unit, workUnit = undefined, cpuOf = 'server') {
  const fmt = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(2));
  const withCpu = workUnit !== undefined && rows.some((row) => row.efficiency !== undefined);
  const lines = [
    `| case | median ${unit} | min–max ${unit} | ratio vs baseline (median of paired rounds) |${withCpu ? ` ${workUnit} per ${cpuOf} CPU-second | CPU efficiency vs baseline |` : ''}`,
    `|---|---:|---:|---:|${withCpu ? '---:|---:|' : ''}`,
  ];
  for (const row of rows) {
    const ratio = row.isBaseline ? '1.00 (baseline)' : `**${row.ratio.toFixed(2)}x**`;
    let cpu = '';
    if (withCpu) {
      const efficiency = row.efficiency === undefined ? '–' : fmt(row.efficiency);
      let efficiencyRatio = '–';
      if (row.isBaseline && row.efficiency !== undefined) efficiencyRatio = '1.00 (baseline)';
      else if (row.efficiencyRatio !== undefined) {
        efficiencyRatio = `**${row.efficiencyRatio.toFixed(2)}x**`;
      }
      cpu = ` ${efficiency} | ${efficiencyRatio} |`;
    }
    lines.push(
      `| ${row.label} | ${fmt(row.median)} | ${fmt(row.min)}–${fmt(row.max)} | ${ratio} |${cpu}`,
    );
  }
  return lines.join('\n');
}

/** One line naming the date, the machine and the Node version, for the README tables. */
export function machineLine() {
  const cpu = cpus();
  const day = new Date().toISOString().slice(0, 10);
  return `${day}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ${process.platform}-${process.arch}`;
}
