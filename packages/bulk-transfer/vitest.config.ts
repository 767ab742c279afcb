import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'bulk-transfer',
    include: ['test/**/*.test.ts'],
  },
});
