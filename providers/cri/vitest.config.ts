import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'provider-cri',
    include: ['tests/**/*.test.ts'],
  },
});
