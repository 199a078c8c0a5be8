import { fileURLToPath } from 'node:url';

import type { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { AciEmulator } from '@vkubelet/aci-emulator';
import type { Provider } from '@vkubelet/provider-kit';
import { ALL_CAPABILITIES, runConformance } from '@vkubelet/provider-kit/conformance';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';
import { afterAll, beforeAll, expect } from 'vitest';

import { ownedBy } from '../../src/group/naming.js';
import { createAciProvider } from '../../src/plugin.js';
import { emulatorConfig, sdkClient, startEmulator, subnetOf } from '../support/emulator.js';

const nodeName = 'vk-aci-conformance';
let aci: AciEmulator;
let client: ContainerInstanceManagementClient;

beforeAll(async () => {
  aci = await startEmulator();
  client = sdkClient(aci);
}, 60_000);

afterAll(async () => {
  // Everything the provider sent is what Azure's API definition allows.
  expect(aci?.faithfulnessViolations()).toEqual([]);
  await aci?.stop();
});

async function aciProvider(): Promise<Provider> {
  // In a subnet every group gets a private IP, as on AKS virtual nodes (the suite checks pod IPs).
  return createAciProvider(fakeProviderContext({ nodeName, internalIP: '127.0.0.1' }), {
    config: emulatorConfig(aci, { subnetId: subnetOf(aci) }),
  });
}

/** Container groups of this node still in the resource group. */
async function backendResources(): Promise<string[]> {
  const names: string[] = [];
  for await (const group of client.containerGroups.listByResourceGroup(aci.resourceGroup)) {
    if (ownedBy(group.tags, { nodeName })) names.push(group.name ?? '');
  }
  return names;
}

runConformance({
  name: 'aci',
  createProvider: aciProvider,
  capabilities: { ...ALL_CAPABILITIES, portForward: false },
  notApplicable: {
    'port-forward.echo':
      'ACI offers no way to reach a port of a container group from the agent (port-forward answers 501)',
    'exec.streams':
      "ACI runs exec on a terminal, which merges stderr into stdout; stdout and stdin are checked in the provider's integration tests",
  },
  timeouts: { podRunningMs: 20_000, podExitMs: 20_000, checkMs: 60_000 },
  listBackendResources: backendResources,
  report: { dir: fileURLToPath(new URL('../../../../conformance-reports', import.meta.url)) },
});
