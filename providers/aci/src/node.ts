import { advertiseNode } from '@vkubelet/provider-kit';
import type { ContainerInstanceManagementClient, Usage } from '@azure/arm-containerinstance';
import type { V1Node } from '@kubernetes/client-node';

import { callArm } from './azure/errors.js';
import type { AciConfig } from './config.js';
import { GPU_RESOURCE } from './group/resources.js';

/** The region's ACI quotas (and what is used of them), one ARM read. */
export async function readUsages(
  client: ContainerInstanceManagementClient,
  region: string,
  signal: AbortSignal,
): Promise<Usage[]> {
  return callArm('Location_ListUsage', async () => {
    const usages: Usage[] = [];
    for await (const usage of client.location.listUsage(region, { abortSignal: signal })) usages.push(usage);
    return usages;
  });
}

/**
 * What the node advertises: the configured capacity, else the region's quotas (StandardCores for
 * CPU, ContainerGroups for pods); memory has no ACI quota and comes from the config.
 */
export function nodeCapacity(config: AciConfig, usages: readonly Usage[]): Record<string, string> {
  const limit = (name: string) => usages.find(usage => usage.name?.value === name)?.limit;
  const cpu = config.capacity.cpu ?? String(limit('StandardCores') ?? 10_000);
  const pods = config.capacity.pods ?? String(limit('ContainerGroups') ?? 5_000);
  return {
    cpu,
    memory: config.capacity.memory,
    pods,
    ...(config.capacity.gpu ? { [GPU_RESOURCE]: config.capacity.gpu } : {}),
  };
}

/** Capacity, allocatable and the OS label of the node. */
export function configureAciNode(
  node: V1Node,
  capacity: Record<string, string>,
  os: 'Linux' | 'Windows',
): void {
  advertiseNode(node, { capacity, labels: { 'kubernetes.io/os': os.toLowerCase() } });
  if (node.status?.nodeInfo)
    node.status.nodeInfo = { ...node.status.nodeInfo, operatingSystem: os.toLowerCase() };
}
