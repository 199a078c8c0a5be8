import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'provider-fargate',
    include: ['tests/**/*.test.ts'],
  },
});
