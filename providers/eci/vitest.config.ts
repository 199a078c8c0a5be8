import { vkubeletProject } from '../../vitest.shared.ts';

export default vkubeletProject({
  test: {
    name: 'provider-eci',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
