import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { ClientSecretCredential } from '@azure/identity';
import { startAciEmulator, type AciEmulator, type AciEmulatorOptions } from '@vkubelet/aci-emulator';
import type { V1Pod } from '@kubernetes/client-node';

import type { AciConfigInput } from '../../src/config.js';

/** Provisioning fast enough for tests; the provider follows it with its status loop. */
export const FAST_EMULATOR: AciEmulatorOptions = {
  provisioning: { pendingMs: 50, creatingMs: 50 },
  restartDelayMs: 100,
};

export function startEmulator(options: AciEmulatorOptions = {}): Promise<AciEmulator> {
  return startAciEmulator({ ...FAST_EMULATOR, ...options });
}

/** The real SDK client, signed in to the emulator's Entra ID, to look at what the provider made. */
export function sdkClient(aci: AciEmulator): ContainerInstanceManagementClient {
  const credential = new ClientSecretCredential(aci.tenantId, aci.clientId, aci.clientSecret, {
    authorityHost: aci.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: aci.caPem },
  });
  return new ContainerInstanceManagementClient(credential, aci.subscriptionId, {
    endpoint: aci.armEndpoint,
    tlsOptions: { ca: aci.caPem },
  });
}

/** A subnet ID in the emulated subscription: groups there get a private IP, as on AKS virtual nodes. */
export function subnetOf(aci: AciEmulator): string {
  return `/subscriptions/${aci.subscriptionId}/resourceGroups/${aci.resourceGroup}/providers/Microsoft.Network/virtualNetworks/vk/subnets/aci`;
}

/** The provider config pointing at the emulator, with the client-secret credential it registered. */
export function emulatorConfig(aci: AciEmulator, overrides: Partial<AciConfigInput> = {}): AciConfigInput {
  return {
    subscriptionId: aci.subscriptionId,
    resourceGroup: aci.resourceGroup,
    region: aci.location,
    tenantId: aci.tenantId,
    clientId: aci.clientId,
    clientSecret: aci.clientSecret,
    armEndpoint: aci.armEndpoint,
    authorityHost: aci.authorityHost,
    disableInstanceDiscovery: true,
    caFile: aci.caFile,
    statusIntervalMs: 200,
    logPollIntervalMs: 200,
    metricsCacheMs: 0,
    ...overrides,
  };
}

let counter = 0;

/** A pod of one busybox container running `script`, scheduled to `nodeName`. */
export function shellPod(
  name: string,
  script: string,
  extra: Partial<NonNullable<V1Pod['spec']>> = {},
): V1Pod {
  counter++;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace: 'default',
      name,
      uid: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    },
    spec: {
      nodeName: 'vk-test',
      restartPolicy: 'Never',
      containers: [{ name: 'app', image: 'busybox:1.36', command: ['sh', '-c', script] }],
      ...extra,
    },
  };
}
