import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'event-loop',
    include: ['test/**/*.test.ts'],
  },
});
