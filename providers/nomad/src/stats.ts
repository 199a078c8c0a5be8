import type { ContainerStats, PodStats, StatsSummary } from '@vkubelet/provider-kit';

import type { AllocResourceUsage, ResourceUsage } from './nomad/types.js';

const NANOS_PER_SECOND = 1e9;

/**
 * Cumulative CPU time per task, which the kubelet's Summary reports (metrics-server computes rates
 * from it) and Nomad does not: Nomad's stats give the current load (`Percent` of one core). The
 * counter starts as if the task ran at that load since it started, then adds each sample's load
 * over the time since the previous sample.
 */
export class CpuCounter {
  private readonly tasks = new Map<string, { at: number; nanoCores: number; total: number }>();

  /** The task's CPU time in core-nanoseconds at `now`. */
  sample(key: string, nanoCores: number, startedAt: Date, now: number): number {
    const last = this.tasks.get(key);
    const total = last
      ? last.total + ((last.nanoCores + nanoCores) / 2) * ((now - last.at) / 1000)
      : nanoCores * (Math.max(0, now - startedAt.getTime()) / 1000);
    this.tasks.set(key, { at: now, nanoCores, total });
    return Math.round(total);
  }

  /** Forgets tasks not in `keep` (ended allocations). */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.tasks.keys()) if (!keep.has(key)) this.tasks.delete(key);
  }
}

export interface AllocStats {
  pod: { namespace: string; name: string; uid: string };
  allocId: string;
  startTime: Date;
  /** Start of each running task, by name. */
  taskStarts: ReadonlyMap<string, Date>;
  usage: AllocResourceUsage;
}

function containerStats(
  name: string,
  usage: ResourceUsage | null | undefined,
  key: string,
  startedAt: Date,
  now: number,
  cpu: CpuCounter,
): ContainerStats {
  const time = new Date(now).toISOString();
  const nanoCores = Math.round(((usage?.CpuStats?.Percent ?? 0) / 100) * NANOS_PER_SECOND);
  const memory = usage?.MemoryStats;
  const used = memory?.Usage ?? memory?.RSS;
  return {
    name,
    startTime: startedAt.toISOString(),
    cpu: {
      time,
      usageNanoCores: nanoCores,
      usageCoreNanoSeconds: cpu.sample(key, nanoCores, startedAt, now),
    },
    memory: {
      time,
      ...(used !== undefined ? { usageBytes: used } : {}),
      // The kubelet's working set is usage minus inactive cache; Nomad's RSS is the closest it reports.
      ...(memory?.RSS !== undefined ? { workingSetBytes: memory.RSS, rssBytes: memory.RSS } : {}),
    },
  };
}

const sum = (values: Array<number | undefined>): number => values.reduce<number>((a, v) => a + (v ?? 0), 0);

/** One pod's stats from its allocation's `/v1/client/allocation/<id>/stats`. */
export function podStats(alloc: AllocStats, cpu: CpuCounter, now: number): PodStats {
  const containers: ContainerStats[] = [];
  for (const [task, startedAt] of alloc.taskStarts) {
    const usage = alloc.usage.Tasks?.[task]?.ResourceUsage;
    if (!usage) continue;
    containers.push(containerStats(task, usage, `${alloc.allocId}/${task}`, startedAt, now, cpu));
  }
  const time = new Date(now).toISOString();
  return {
    podRef: alloc.pod,
    startTime: alloc.startTime.toISOString(),
    containers,
    cpu: {
      time,
      usageNanoCores: sum(containers.map(c => c.cpu?.usageNanoCores)),
      usageCoreNanoSeconds: sum(containers.map(c => c.cpu?.usageCoreNanoSeconds)),
    },
    memory: {
      time,
      usageBytes: sum(containers.map(c => c.memory?.usageBytes)),
      workingSetBytes: sum(containers.map(c => c.memory?.workingSetBytes)),
      rssBytes: sum(containers.map(c => c.memory?.rssBytes)),
    },
  };
}

/** The Summary: the pods' stats, and the node's as their sum (the node is the pods it runs). */
export function statsSummary(nodeName: string, startedAt: Date, pods: PodStats[], now: number): StatsSummary {
  const time = new Date(now).toISOString();
  return {
    node: {
      nodeName,
      startTime: startedAt.toISOString(),
      cpu: {
        time,
        usageNanoCores: sum(pods.map(p => p.cpu?.usageNanoCores)),
        usageCoreNanoSeconds: sum(pods.map(p => p.cpu?.usageCoreNanoSeconds)),
      },
      memory: {
        time,
        usageBytes: sum(pods.map(p => p.memory?.usageBytes)),
        workingSetBytes: sum(pods.map(p => p.memory?.workingSetBytes)),
      },
    },
    pods,
  };
}
