import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'ipc',
    include: ['test/**/*.test.ts'],
  },
});
