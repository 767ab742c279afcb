// Runs the benchmark suites: `pnpm bench` for all, `pnpm bench <name> [...]` for some.
// Each suite in suites/<name>.mjs exports `description` and `run({ rounds })`, which
// returns { title, table, notes }. Rounds: BENCH_ROUNDS (default 5).
import { readdirSync } from 'node:fs';
import { machineLine } from './lib/compare.mjs';

const suitesDir = new URL('./suites/', import.meta.url);
const available = readdirSync(suitesDir)
  .filter((file) => file.endsWith('.mjs'))
  .map((file) => file.slice(0, -'.mjs'.length))
  .sort();
const requested = process.argv.slice(2).filter((arg) => arg !== '--');
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`Unknown suite(s): ${unknown.join(', ')}. Available: ${available.join(', ')}`);
  process.exit(2);
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`BENCH_ROUNDS must be a positive integer, got ${process.env.BENCH_ROUNDS}`);
  process.exit(2);
}

console.log(`# @net benchmarks\n\n${machineLine()}\n`);
for (const name of requested.length > 0 ? requested : available) {
  const suite = await import(new URL(`${name}.mjs`, suitesDir));
  console.error(`running ${name}: ${suite.description} ...`);
  const result = await suite.run({ rounds });
  console.log(`## ${result.title}\n\n${result.table}\n`);
  for (const note of result.notes ?? []) console.log(`- ${note}`);
  console.log(`\nCommand: \`pnpm bench ${name}\`\n`);
}
