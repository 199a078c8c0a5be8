import { vkubeletProject } from '../../vitest.shared.ts';

export default vkubeletProject({
  test: {
    name: 'soak',
    // The short soak runs two minutes of chaos, then waits for the node to converge.
    testTimeout: 420_000,
    hookTimeout: 180_000,
  },
});
