import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'hmac-auth',
    include: ['test/**/*.test.ts'],
  },
});
