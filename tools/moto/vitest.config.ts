import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'moto',
    include: ['tests/**/*.test.ts'],
    // moto starts Python and builds its default VPC on first use: seconds, not milliseconds.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
