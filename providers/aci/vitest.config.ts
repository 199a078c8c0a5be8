import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'provider-aci',
    include: ['tests/**/*.test.ts'],
  },
});
