import { fileURLToPath } from 'node:url';

import type { EciEmulator } from '@vkubelet/eci-emulator';
import type { Provider } from '@vkubelet/provider-kit';
import { runConformance } from '@vkubelet/provider-kit/conformance';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';
import { afterAll, beforeAll } from 'vitest';

import { TAG } from '../../src/identity.js';
import { eciProvider, startEmulator } from '../support/eci.js';

const nodeName = 'vk-eci-conformance';
let emulator: EciEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ timing: { schedulingMs: 50, pendingMs: 50, restartBackoffMs: 100 } });
});

afterAll(async () => {
  await emulator?.stop();
});

/** A provider on the emulator; called again by the persistence check, as a restarted agent. */
async function provider(): Promise<Provider> {
  const context = fakeProviderContext({ nodeName, internalIP: '127.0.0.1' });
  return (await eciProvider(emulator, { statusIntervalMs: 200 }, context)).provider;
}

/** The container groups of this node still in the emulator. */
async function backendResources(): Promise<string[]> {
  return emulator
    .groups()
    .filter(group => group.tags[TAG.node] === nodeName)
    .map(group => `${group.containerGroupId} (${group.name}, ${group.status})`);
}

runConformance({
  name: 'eci',
  createProvider: provider,
  capabilities: {
    exitCodes: true,
    restartPolicies: true,
    initContainers: true,
    multiContainer: true,
    notifier: true,
    logs: true,
    followLogs: true,
    exec: true,
    stats: true,
    persistence: true,
  },
  notApplicable: {
    attach: "ECI's API has no attach to a container's main process (only ExecContainerCommand)",
    portForward: "ECI's API forwards no ports to a container group",
  },
  timeouts: { podRunningMs: 20_000, podExitMs: 20_000, checkMs: 60_000 },
  listBackendResources: backendResources,
  report: { dir: fileURLToPath(new URL('../../../../conformance-reports', import.meta.url)) },
});
