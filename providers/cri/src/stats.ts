import type {
  ContainerStats as CriContainerStats,
  NetworkInterfaceUsage,
  PodSandboxStats,
  UInt64Value,
} from './cri/types.js';
import type { ContainerStats, NetworkInterfaceStats, PodStats, StatsSummary } from '@vkubelet/provider-kit';

import { LABEL_CONTAINER_NAME, LABEL_POD_UID } from './labels.js';
import type { CriPod } from './pod/record.js';
import { nsToDate } from './pod/time.js';
import { hostCpuNanos, hostMemoryUsage } from './node.js';

const num = (value: UInt64Value | null | undefined): number | undefined =>
  value === null || value === undefined ? undefined : Number(value.value);

function iso(ns: string | number | undefined, fallback: Date): string {
  return (nsToDate(ns) ?? fallback).toISOString();
}

function containerStats(stats: CriContainerStats, startTime: Date): ContainerStats {
  const now = new Date();
  return {
    name: stats.attributes.labels[LABEL_CONTAINER_NAME] ?? stats.attributes.metadata.name,
    startTime: startTime.toISOString(),
    ...(stats.cpu
      ? {
          cpu: {
            time: iso(stats.cpu.timestamp, now),
            usageNanoCores: num(stats.cpu.usage_nano_cores),
            usageCoreNanoSeconds: num(stats.cpu.usage_core_nano_seconds),
          },
        }
      : {}),
    ...(stats.memory
      ? {
          memory: {
            time: iso(stats.memory.timestamp, now),
            workingSetBytes: num(stats.memory.working_set_bytes),
            usageBytes: num(stats.memory.usage_bytes),
            rssBytes: num(stats.memory.rss_bytes),
            availableBytes: num(stats.memory.available_bytes),
            pageFaults: num(stats.memory.page_faults),
            majorPageFaults: num(stats.memory.major_page_faults),
          },
        }
      : {}),
    ...(stats.writable_layer
      ? {
          rootfs: {
            time: iso(stats.writable_layer.timestamp, now),
            usedBytes: num(stats.writable_layer.used_bytes),
            inodesUsed: num(stats.writable_layer.inodes_used),
          },
        }
      : {}),
  };
}

const sum = (values: (number | undefined)[]): number | undefined =>
  values.some(v => v !== undefined) ? values.reduce<number>((a, v) => a + (v ?? 0), 0) : undefined;

/** Builds the Summary from the runtime's container stats, grouped by pod (only current instances). */
export async function statsSummary(
  nodeName: string,
  startedAt: Date,
  pods: readonly CriPod[],
  stats: CriContainerStats[],
  cpuSampler: CpuSampler,
  sandboxStats: PodSandboxStats[] = [],
): Promise<StatsSummary> {
  const networkBySandbox = new Map(sandboxStats.map(s => [s.attributes.id, s.linux?.network ?? null]));
  const byPod = new Map<string, CriContainerStats[]>();
  for (const s of stats) {
    const uid = s.attributes.labels[LABEL_POD_UID];
    if (!uid) continue;
    byPod.set(uid, [...(byPod.get(uid) ?? []), s]);
  }
  const now = new Date().toISOString();
  const podStats: PodStats[] = [];
  for (const pod of pods) {
    const { state } = pod;
    const currentIds = new Set([...state.init, ...state.app].map(c => c.id).filter(Boolean));
    const containers = (byPod.get(pod.uid) ?? [])
      .filter(s => currentIds.has(s.attributes.id))
      .map(s => containerStats(s, state.createdAt));
    podStats.push({
      podRef: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
      startTime: state.createdAt.toISOString(),
      containers,
      cpu: {
        time: now,
        usageNanoCores: sum(containers.map(c => c.cpu?.usageNanoCores)),
        usageCoreNanoSeconds: sum(containers.map(c => c.cpu?.usageCoreNanoSeconds)),
      },
      memory: {
        time: now,
        workingSetBytes: sum(containers.map(c => c.memory?.workingSetBytes)),
        usageBytes: sum(containers.map(c => c.memory?.usageBytes)),
        rssBytes: sum(containers.map(c => c.memory?.rssBytes)),
      },
      ...networkStats(networkBySandbox.get(state.sandboxId)),
    });
  }
  const memory = await hostMemoryUsage();
  const cpu = cpuSampler.sample();
  return {
    node: {
      nodeName,
      startTime: startedAt.toISOString(),
      cpu: {
        time: now,
        usageCoreNanoSeconds: cpu.totalNanos,
        ...(cpu.nanoCores !== undefined ? { usageNanoCores: cpu.nanoCores } : {}),
      },
      memory: {
        time: now,
        availableBytes: memory.available,
        usageBytes: memory.total - memory.available,
        workingSetBytes: memory.total - memory.available,
      },
    },
    pods: podStats,
  };
}

function interfaceStats(usage: NetworkInterfaceUsage): NetworkInterfaceStats {
  return {
    name: usage.name,
    rxBytes: num(usage.rx_bytes),
    rxErrors: num(usage.rx_errors),
    txBytes: num(usage.tx_bytes),
    txErrors: num(usage.tx_errors),
  };
}

/** The pod's network usage from its sandbox stats (the default interface flattened in, as kubelet does). */
function networkStats(
  network: NonNullable<PodSandboxStats['linux']>['network'] | undefined,
): Pick<PodStats, 'network'> {
  if (!network?.default_interface) return {};
  return {
    network: {
      time: iso(network.timestamp, new Date()),
      ...interfaceStats(network.default_interface),
      interfaces: network.interfaces.map(interfaceStats),
    },
  };
}

/** Host CPU rate between two calls (the first call has no rate). */
export class CpuSampler {
  private last?: { nanos: number; at: bigint };

  sample(): { totalNanos: number; nanoCores?: number } {
    const nanos = hostCpuNanos();
    const at = process.hrtime.bigint();
    const previous = this.last;
    this.last = { nanos, at };
    if (!previous || at === previous.at) return { totalNanos: nanos };
    return {
      totalNanos: nanos,
      nanoCores: Math.round(((nanos - previous.nanos) / Number(at - previous.at)) * 1e9),
    };
  }
}
