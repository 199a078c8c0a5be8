import type { NodeListStub } from './nomad/types.js';

/** Which Nomad client nodes run this virtual node's pods: the job's datacenters and node pool. */
export interface NodeSelection {
  datacenters: readonly string[];
  /** Unset: Nomad's `default` pool; `all`: every pool. */
  nodePool?: string | undefined;
}

/** The Kubernetes default of pods per node, counted per Nomad client when the config sets no total. */
export const PODS_PER_CLIENT = 110;
/** MHz per core when no client node tells (Nomad's CPU shares are MHz). */
export const FALLBACK_MHZ_PER_CORE = 1000;

function globMatches(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}

/** Client nodes that can take this node's jobs: ready, eligible, not draining, in the selection. */
export function eligibleNodes(nodes: readonly NodeListStub[], selection: NodeSelection): NodeListStub[] {
  const pool = selection.nodePool ?? 'default';
  return nodes.filter(
    node =>
      node.Status === 'ready' &&
      node.SchedulingEligibility === 'eligible' &&
      !node.Drain &&
      selection.datacenters.some(dc => globMatches(dc, node.Datacenter)) &&
      (pool === 'all' || (node.NodePool ?? 'default') === pool),
  );
}

/** MHz of one core on the slowest eligible client (so a pod's CPU fits anywhere it is placed). */
export function measuredMHzPerCore(nodes: readonly NodeListStub[]): number | undefined {
  let slowest: number | undefined;
  for (const node of nodes) {
    const cpu = node.NodeResources?.Cpu;
    if (!cpu?.CpuShares || !cpu.TotalCpuCores) continue;
    const mhz = cpu.CpuShares / cpu.TotalCpuCores;
    slowest = slowest === undefined ? mhz : Math.min(slowest, mhz);
  }
  return slowest === undefined ? undefined : Math.floor(slowest);
}

export interface NodeResources {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
}

/**
 * What the virtual node advertises: the sum of the eligible clients' CPU (their MHz in cores at
 * `mhzPerCore`, the rate pods are converted at), memory and disk; allocatable leaves out what the
 * clients reserve. Pods: `pods`, else PODS_PER_CLIENT per eligible client.
 */
export function nodeResources(
  nodes: readonly NodeListStub[],
  mhzPerCore: number,
  pods: number | undefined,
): NodeResources {
  const total = { cpu: 0, memory: 0, disk: 0 };
  const free = { cpu: 0, memory: 0, disk: 0 };
  for (const node of nodes) {
    const have = node.NodeResources;
    const reserved = node.ReservedResources;
    const cpu = have?.Cpu?.CpuShares ?? 0;
    const memory = have?.Memory?.MemoryMB ?? 0;
    const disk = have?.Disk?.DiskMB ?? 0;
    total.cpu += cpu;
    total.memory += memory;
    total.disk += disk;
    free.cpu += Math.max(0, cpu - (reserved?.Cpu?.CpuShares ?? 0));
    free.memory += Math.max(0, memory - (reserved?.Memory?.MemoryMB ?? 0));
    free.disk += Math.max(0, disk - (reserved?.Disk?.DiskMB ?? 0));
  }
  const podCount = String(pods ?? PODS_PER_CLIENT * nodes.length);
  const render = (sum: typeof total) => ({
    cpu: `${Math.floor((sum.cpu / mhzPerCore) * 1000)}m`,
    memory: `${sum.memory}Mi`,
    'ephemeral-storage': `${sum.disk}Mi`,
    pods: podCount,
  });
  return { capacity: render(total), allocatable: render(free) };
}
