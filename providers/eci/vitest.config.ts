import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'provider-eci',
    include: ['tests/**/*.test.ts'],
  },
});
