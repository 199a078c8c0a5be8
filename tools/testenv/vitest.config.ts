import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'testenv',
    include: ['tests/**/*.test.ts'],
    // Starting a control plane takes 5-15 s on 2 shared cores; leave room for a slow machine.
    hookTimeout: 120_000,
    testTimeout: 60_000,
  },
});
