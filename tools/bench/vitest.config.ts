import { vkubeletProject } from '../../vitest.shared.ts';

export default vkubeletProject({
  test: {
    name: 'bench',
    // The small run starts a control plane and an agent process and pushes 50 pods through them.
    testTimeout: 240_000,
  },
});
