import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'test-peers',
    include: ['test/**/*.test.ts'],
  },
});
