import type { UserWorkspaceConfig } from 'vitest/config';

import { vkubeletProject } from '../../vitest.shared.ts';

const project = vkubeletProject({
  test: {
    name: 'provider-fargate',
    // moto starts Python and builds its default VPC on first use: seconds, not milliseconds.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

/**
 * The AWS SDK's `module` export (dist-es) is for bundlers: its extensionless imports do not load in
 * Node, so this project resolves packages without that condition (Node's own `import`/`node` apply).
 */
function withoutModuleCondition(config: UserWorkspaceConfig): UserWorkspaceConfig {
  const drop = (conditions: string[] | undefined) => conditions?.filter(c => c !== 'module');
  return {
    ...config,
    resolve: { ...config.resolve, conditions: drop(config.resolve?.conditions) },
    ssr: {
      ...config.ssr,
      resolve: { ...config.ssr?.resolve, conditions: drop(config.ssr?.resolve?.conditions) },
    },
  };
}

export default withoutModuleCondition(project);
