import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'stream-reader',
    include: ['test/**/*.test.ts'],
  },
});
