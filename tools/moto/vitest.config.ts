import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'moto',
    include: ['tests/**/*.test.ts'],
  },
});
