import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'udp-server',
    include: ['test/**/*.test.ts'],
  },
});
