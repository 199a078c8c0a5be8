import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'provider-kit',
    include: ['tests/**/*.test.ts'],
  },
});
