import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'tls',
    include: ['test/**/*.test.ts'],
  },
});
