import { vkubeletProject } from '../../vitest.shared.ts';

export default vkubeletProject({
  test: {
    name: 'otelcol',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
