import { vkubeletProject } from '../../vitest.shared.ts';

export default vkubeletProject({
  test: {
    name: 'provider-fargate',
    // moto starts Python and builds its default VPC on first use: seconds, not milliseconds.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
