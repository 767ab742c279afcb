import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'ipc',
    include: ['test/**/*.test.ts'],
    // Python peers and worker processes start slowly on a loaded 2-core machine.
    testTimeout: 20_000,
  },
});
