import { defineConfig } from 'vitest/config';

// One run over every workspace project, so CI gets one set of totals. CI sets VITEST_JSON
// to also write a machine-readable report there.
const jsonReport = process.env.VITEST_JSON;

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'examples/vitest.config.ts'],
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
