import { defineConfig } from 'vitest/config';

// One vitest run covers every workspace project; each project keeps its own vitest.config.ts.
export default defineConfig({
  resolve: { conditions: ['@vkubelet/source'] },
  ssr: { resolve: { conditions: ['@vkubelet/source'] } },
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'providers/*/vitest.config.ts',
      'tools/*/vitest.config.ts',
      'e2e/vitest.config.ts',
    ],
  },
});
