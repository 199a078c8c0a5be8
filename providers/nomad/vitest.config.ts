import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'provider-nomad',
    include: ['tests/**/*.test.ts'],
  },
});
