import { defineProject, mergeConfig, type UserWorkspaceConfig } from 'vitest/config';

/**
 * Settings every vitest project shares. Workspace packages resolve to their TypeScript sources
 * through the `@vkubelet/source` export condition, so tests never run a stale `dist/`.
 */
// Vite's default server conditions minus `module`, which sends the AWS SDK to files only bundlers load.
const conditions = ['@vkubelet/source', 'node', 'development|production'];

const shared = defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['tests/**/*.test.ts'],
    // Integration tests start a real control plane (5-15 s on 2 shared cores, more under load).
    hookTimeout: 180_000,
    testTimeout: 60_000,
  },
});

/** A package's vitest project: the shared settings plus its own (name, longer timeouts, ...). */
export function vkubeletProject(config: UserWorkspaceConfig): UserWorkspaceConfig {
  return mergeConfig(shared, defineProject(config));
}
