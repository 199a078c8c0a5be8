import { vkubeletProject } from '../../vitest.shared.ts';

export default vkubeletProject({
  test: {
    name: 'testenv',
    // Starting a control plane takes 5-15 s on 2 shared cores; leave room for a slow machine.
    hookTimeout: 120_000,
    testTimeout: 60_000,
  },
});
