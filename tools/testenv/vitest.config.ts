import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'testenv',
    include: ['tests/**/*.test.ts'],
  },
});
