import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'echo-service',
    include: ['test/**/*.test.ts'],
  },
});
