import { vkubeletProject } from '../../vitest.shared.ts';

export default vkubeletProject({
  test: {
    name: 'release',
    // Publishing builds every package, and installing fetches their dependencies (from the npm cache
    // when warm): minutes on 2 shared cores, not seconds.
    hookTimeout: 600_000,
    testTimeout: 180_000,
  },
});
