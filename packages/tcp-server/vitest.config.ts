import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'tcp-server',
    include: ['test/**/*.test.ts'],
  },
});
