import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'containerd',
    include: ['tests/**/*.test.ts'],
  },
});
