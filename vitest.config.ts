import { defineConfig } from 'vitest/config';

// One run over every workspace project, so CI gets one set of totals. CI sets VITEST_JSON
// to also write a machine-readable report there.
const jsonReport = process.env.VITEST_JSON;

export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'apps/*/vitest.config.ts',
      'examples/vitest.config.ts',
    ],
    // Two test files at a time (vitest's default is one less than the cores, 1 here): most
    // tests wait on sockets, timers and peer processes, not on the CPU.
    maxWorkers: 2,
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
