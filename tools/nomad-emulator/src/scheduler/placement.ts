import type {
  AllocatedResources,
  AllocationMetric,
  Constraint,
  Job,
  NetworkResource,
  NomadNode,
  Port,
  PortMapping,
  TaskGroup,
} from '../api/types.js';
import { interpolate } from '../client/task-pod.js';
import { MAX_DYNAMIC_PORT, MIN_DYNAMIC_PORT } from '../state/nodes.js';

/** What the allocations already on a node use. */
export interface NodeUsage {
  cpu: number;
  memoryMB: number;
  cores: number;
  diskMB: number;
  ports: Set<number>;
}

export type PlacementResult =
  | { placed: true; node: NomadNode; resources: AllocatedResources; metrics: AllocationMetric }
  | { placed: false; metrics: AllocationMetric };

export function emptyMetrics(nodePool: string): AllocationMetric {
  return {
    NodesEvaluated: 0,
    NodesFiltered: 0,
    NodesInPool: 0,
    NodePool: nodePool,
    NodesAvailable: {},
    ClassFiltered: null,
    ConstraintFiltered: null,
    NodesExhausted: 0,
    ClassExhausted: null,
    DimensionExhausted: null,
    QuotaExhausted: null,
    ResourcesExhausted: null,
    Scores: null,
    ScoreMetaData: null,
    AllocationTime: 0,
    CoalescedFailures: 0,
  };
}

function count(map: Record<string, number> | null, key: string): Record<string, number> {
  const result = map ?? {};
  result[key] = (result[key] ?? 0) + 1;
  return result;
}

/** Nomad's datacenter globs (`dc*`, `*`). */
function datacenterMatches(patterns: readonly string[], datacenter: string): boolean {
  return patterns.some(pattern =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(datacenter),
  );
}

/** `a, b,c` as the set Nomad's set_contains operands compare. */
function setItems(text: string): string[] {
  return text.split(',').map(item => item.trim());
}

/** The constraint operands a jobspec commonly uses; others (distinct_hosts, version) do not filter. */
export function constraintHolds(constraint: Constraint, node: NomadNode): boolean {
  const left = interpolate(constraint.LTarget ?? '', {}, node);
  const right = interpolate(constraint.RTarget ?? '', {}, node);
  const leftSet = !/\$\{/.test(left) && left !== '';
  switch (constraint.Operand ?? '=') {
    case '=':
    case '==':
    case 'is':
      return leftSet && left === right;
    case '!=':
    case 'not':
      return left !== right;
    case 'regexp':
      return leftSet && new RegExp(right).test(left);
    case 'set_contains':
    case 'set_contains_all':
      return setItems(right).every(item => setItems(left).includes(item));
    case 'set_contains_any':
      return setItems(right).some(item => setItems(left).includes(item));
    case 'is_set':
      return leftSet;
    case 'is_not_set':
      return !leftSet;
    default:
      return true;
  }
}

/** Every network of the group and its tasks, which get the ports. */
function requestedPorts(group: TaskGroup): { reserved: Port[]; dynamic: number } {
  const networks: NetworkResource[] = [
    ...(group.Networks ?? []),
    ...group.Tasks.flatMap(task => task.Resources?.Networks ?? []),
  ];
  return {
    reserved: networks.flatMap(network => network.ReservedPorts ?? []),
    dynamic: networks.reduce((sum, network) => sum + (network.DynamicPorts?.length ?? 0), 0),
  };
}

function groupNeeds(group: TaskGroup): { cpu: number; memoryMB: number; cores: number; diskMB: number } {
  return {
    cpu: group.Tasks.reduce((sum, task) => sum + (task.Resources?.CPU ?? 0), 0),
    memoryMB: group.Tasks.reduce((sum, task) => sum + (task.Resources?.MemoryMB ?? 0), 0),
    cores: group.Tasks.reduce((sum, task) => sum + (task.Resources?.Cores ?? 0), 0),
    diskMB: group.EphemeralDisk?.SizeMB ?? 300,
  };
}

/** Why `node` cannot take the group, as Nomad names the exhausted dimension, or undefined if it fits. */
function exhaustedDimension(group: TaskGroup, node: NomadNode, usage: NodeUsage): string | undefined {
  const needs = groupNeeds(group);
  const resources = node.NodeResources;
  const cpuCapacity = resources.Cpu.CpuShares - node.ReservedResources.Cpu.CpuShares;
  if (usage.cpu + needs.cpu > cpuCapacity) return 'cpu';
  if (usage.memoryMB + needs.memoryMB > resources.Memory.MemoryMB - node.ReservedResources.Memory.MemoryMB) {
    return 'memory';
  }
  if (usage.cores + needs.cores > resources.Cpu.TotalCpuCores) return 'cores';
  if (usage.diskMB + needs.diskMB > resources.Disk.DiskMB) return 'disk';
  const { reserved, dynamic } = requestedPorts(group);
  for (const port of reserved) {
    if (usage.ports.has(port.Value ?? 0)) {
      return `network: reserved port collision ${port.Label}=${port.Value ?? 0}`;
    }
  }
  const freeDynamic = MAX_DYNAMIC_PORT - MIN_DYNAMIC_PORT + 1 - [...usage.ports].filter(isDynamic).length;
  if (dynamic > freeDynamic) return 'network: dynamic port selection failed';
  return undefined;
}

function isDynamic(port: number): boolean {
  return port >= MIN_DYNAMIC_PORT && port <= MAX_DYNAMIC_PORT;
}

/** Binpacking, Nomad's default: the fullest node that still fits scores highest. */
function binpackScore(group: TaskGroup, node: NomadNode, usage: NodeUsage): number {
  const needs = groupNeeds(group);
  const cpu = (usage.cpu + needs.cpu) / Math.max(1, node.NodeResources.Cpu.CpuShares);
  const memory = (usage.memoryMB + needs.memoryMB) / Math.max(1, node.NodeResources.Memory.MemoryMB);
  return (cpu + memory) / 2;
}

/**
 * Places one allocation of `group`: ready, eligible nodes of the job's datacenters and node pool,
 * filtered by drivers and constraints, then by free resources; the fullest fitting node wins. The
 * metrics are those Nomad reports for a failed placement (NodesEvaluated, ConstraintFiltered,
 * DimensionExhausted, ...).
 */
export function placeGroup(
  job: Job,
  group: TaskGroup,
  nodes: readonly NomadNode[],
  usageOf: (node: NomadNode) => NodeUsage,
): PlacementResult {
  const metrics = emptyMetrics(job.NodePool);
  const inPool = nodes.filter(node => job.NodePool === 'all' || node.NodePool === job.NodePool);
  metrics.NodesInPool = inPool.length;
  const ready = inPool.filter(
    node =>
      node.Status === 'ready' &&
      node.SchedulingEligibility === 'eligible' &&
      datacenterMatches(job.Datacenters, node.Datacenter),
  );
  for (const node of ready)
    metrics.NodesAvailable[node.Datacenter] = (metrics.NodesAvailable[node.Datacenter] ?? 0) + 1;
  const constraints = [
    ...(job.Constraints ?? []),
    ...(group.Constraints ?? []),
    ...group.Tasks.flatMap(task => task.Constraints ?? []),
  ];
  let best: { node: NomadNode; usage: NodeUsage; score: number } | undefined;
  for (const node of ready) {
    metrics.NodesEvaluated++;
    if (group.Tasks.some(task => !node.Drivers[task.Driver]?.Healthy)) {
      metrics.NodesFiltered++;
      metrics.ConstraintFiltered = count(metrics.ConstraintFiltered, 'missing drivers');
      continue;
    }
    const failed = constraints.find(constraint => !constraintHolds(constraint, node));
    if (failed) {
      metrics.NodesFiltered++;
      metrics.ConstraintFiltered = count(
        metrics.ConstraintFiltered,
        `${failed.LTarget ?? ''} ${failed.Operand ?? '='} ${failed.RTarget ?? ''}`.trim(),
      );
      continue;
    }
    const usage = usageOf(node);
    const exhausted = exhaustedDimension(group, node, usage);
    if (exhausted) {
      metrics.NodesExhausted++;
      metrics.DimensionExhausted = count(metrics.DimensionExhausted, exhausted);
      continue;
    }
    const score = binpackScore(group, node, usage);
    if (!best || score > best.score) best = { node, usage, score };
  }
  if (!best) return { placed: false, metrics };
  return { placed: true, node: best.node, resources: allocate(group, best.node, best.usage), metrics };
}

/** The allocation's resources on `node`: task CPU and memory, the networks with their ports chosen. */
function allocate(group: TaskGroup, node: NomadNode, usage: NodeUsage): AllocatedResources {
  const ip = node.Attributes['unique.network.ip-address'] ?? '';
  const taken = new Set(usage.ports);
  for (const { reserved } of [requestedPorts(group)]) for (const port of reserved) taken.add(port.Value ?? 0);
  const nextDynamic = (): number => {
    for (let port = MIN_DYNAMIC_PORT; port <= MAX_DYNAMIC_PORT; port++) {
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
    throw new Error('no dynamic port left');
  };
  const ports: PortMapping[] = [];
  const withPorts = (network: NetworkResource, shared: boolean): NetworkResource => {
    const reserved = (network.ReservedPorts ?? []).map(port => ({
      ...port,
      Value: port.Value ?? 0,
      To: port.To ?? 0,
    }));
    const dynamic = (network.DynamicPorts ?? []).map(port => ({
      ...port,
      Value: nextDynamic(),
      To: port.To ?? 0,
    }));
    if (shared) {
      for (const port of [...reserved, ...dynamic]) {
        ports.push({ Label: port.Label, Value: port.Value, To: port.To, HostIP: ip });
      }
    }
    return {
      Mode: network.Mode || 'host',
      Device: network.Mode === 'bridge' ? '' : 'eth0',
      CIDR: '',
      IP: ip,
      MBits: network.MBits ?? 0,
      DNS: network.DNS ?? null,
      ReservedPorts: reserved.length > 0 ? reserved : null,
      DynamicPorts: dynamic.length > 0 ? dynamic : null,
      Hostname: network.Hostname ?? '',
    };
  };
  const sharedNetworks = (group.Networks ?? []).map(network => withPorts(network, true));
  let core = 0;
  const tasks: AllocatedResources['Tasks'] = {};
  for (const task of group.Tasks) {
    const cores = task.Resources?.Cores ?? 0;
    const reservedCores = Array.from({ length: cores }, () => core++);
    const networks = (task.Resources?.Networks ?? []).map(network => withPorts(network, false));
    tasks[task.Name] = {
      Cpu: { CpuShares: task.Resources?.CPU ?? 0, ReservedCores: cores > 0 ? reservedCores : null },
      Memory: { MemoryMB: task.Resources?.MemoryMB ?? 0, MemoryMaxMB: task.Resources?.MemoryMaxMB ?? 0 },
      Networks: networks.length > 0 ? networks : null,
      Devices: null,
    };
  }
  return {
    Tasks: tasks,
    Shared: {
      DiskMB: group.EphemeralDisk?.SizeMB ?? 300,
      Networks: sharedNetworks.length > 0 ? sharedNetworks : null,
      Ports: ports.length > 0 ? ports : null,
    },
  };
}

/** What an allocation takes from its node (for the usage of later placements). */
export function allocationUsage(resources: AllocatedResources, usage: NodeUsage): void {
  for (const task of Object.values(resources.Tasks)) {
    usage.cpu += task.Cpu.CpuShares;
    usage.memoryMB += task.Memory.MemoryMB;
    usage.cores += task.Cpu.ReservedCores?.length ?? 0;
    for (const network of task.Networks ?? []) {
      for (const port of [...(network.ReservedPorts ?? []), ...(network.DynamicPorts ?? [])]) {
        usage.ports.add(port.Value ?? 0);
      }
    }
  }
  usage.diskMB += resources.Shared.DiskMB;
  for (const network of resources.Shared.Networks ?? []) {
    for (const port of [...(network.ReservedPorts ?? []), ...(network.DynamicPorts ?? [])])
      usage.ports.add(port.Value ?? 0);
  }
}
