import { vkubeletProject } from '../../vitest.shared.ts';

export default vkubeletProject({
  test: {
    name: 'aci-emulator',
    // Every test talks to the emulator through the real Azure SDK over HTTPS; pollers wait on
    // provisioning timers, so a test takes a few hundred milliseconds, more on a loaded machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
