import { defineConfig } from 'vitest/config';

// One run over every workspace project, so CI gets one set of totals.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
  },
});
