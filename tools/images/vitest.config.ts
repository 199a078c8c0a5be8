import { vkubeletProject } from '../../vitest.shared.ts';

export default vkubeletProject({
  test: {
    name: 'images',
    // Each e2e file builds an image and starts a control plane, containerd and a registry: running
    // them one after the other keeps two shared cores usable.
    fileParallelism: false,
    hookTimeout: 600_000,
    testTimeout: 180_000,
  },
});
