import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'echo-service',
    include: ['test/**/*.test.ts'],
    // Most tests here start the CLI or the service as a process: more than vitest's 5 s on a
    // busy machine.
    testTimeout: 20_000,
  },
});
