import type {
  ContainerStats,
  CpuStats,
  MemoryStats,
  NetworkStats,
  PodStats,
  StatsSummary,
  TrackedPod,
} from '@vkubelet/provider-kit';

import type { EciClient } from './client/eci-client.js';
import { DESCRIBE_BATCH } from './client/groups.js';
import type { DescribeMultiContainerGroupMetricResponse, EciMetricRecord } from './client/wire.js';
import type { GroupState } from './status/observe.js';

type Record = EciMetricRecord;

function cpu(time: string, figures: Record['CPU']): CpuStats | undefined {
  if (!figures) return undefined;
  return {
    time,
    ...(figures.UsageNanoCores !== undefined ? { usageNanoCores: figures.UsageNanoCores } : {}),
    ...(figures.UsageCoreNanoSeconds !== undefined
      ? { usageCoreNanoSeconds: figures.UsageCoreNanoSeconds }
      : {}),
  };
}

function memory(time: string, figures: Record['Memory']): MemoryStats | undefined {
  if (!figures) return undefined;
  return {
    time,
    ...(figures.UsageBytes !== undefined ? { usageBytes: figures.UsageBytes } : {}),
    ...(figures.WorkingSet !== undefined ? { workingSetBytes: figures.WorkingSet } : {}),
    ...(figures.Rss !== undefined ? { rssBytes: figures.Rss } : {}),
    ...(figures.AvailableBytes !== undefined ? { availableBytes: figures.AvailableBytes } : {}),
  };
}

function network(time: string, figures: Record['Network']): NetworkStats | undefined {
  const interfaces = (figures?.Interfaces ?? []).map(nic => ({
    name: nic.Name ?? 'eth0',
    ...(nic.RxBytes !== undefined ? { rxBytes: nic.RxBytes } : {}),
    ...(nic.RxErrors !== undefined ? { rxErrors: nic.RxErrors } : {}),
    ...(nic.TxBytes !== undefined ? { txBytes: nic.TxBytes } : {}),
    ...(nic.TxErrors !== undefined ? { txErrors: nic.TxErrors } : {}),
  }));
  if (interfaces.length === 0) return undefined;
  return { time, ...interfaces[0], interfaces };
}

/** A group's latest metric record as the kubelet's pod stats (CPU, memory, network, per container). */
export function podStats(record: TrackedPod<GroupState>, metric: Record): PodStats {
  const time = metric.Timestamp ?? new Date().toISOString();
  const startTime = record.state.group.CreationTime ?? time;
  const started = new Map(
    (record.state.group.Containers ?? []).map(container => [
      container.Name,
      container.CurrentState?.StartTime,
    ]),
  );
  const containers: ContainerStats[] = (metric.Containers ?? []).flatMap(container => {
    if (!container.Name) return [];
    const containerCpu = cpu(time, container.CPU);
    const containerMemory = memory(time, container.Memory);
    return [
      {
        name: container.Name,
        startTime: started.get(container.Name) ?? startTime,
        ...(containerCpu ? { cpu: containerCpu } : {}),
        ...(containerMemory ? { memory: containerMemory } : {}),
      },
    ];
  });
  const podCpu = cpu(time, metric.CPU);
  const podMemory = memory(time, metric.Memory);
  const podNetwork = network(time, metric.Network);
  return {
    podRef: { namespace: record.namespace, name: record.name, uid: record.uid },
    startTime,
    containers,
    ...(podCpu ? { cpu: podCpu } : {}),
    ...(podMemory ? { memory: podMemory } : {}),
    ...(podNetwork ? { network: podNetwork } : {}),
  };
}

/**
 * The Summary API from ECI's metrics: the latest record of every running group,
 * DescribeMultiContainerGroupMetric for 20 groups a request; the node's figures are the pods' sums.
 */
export async function statsSummary(
  client: EciClient,
  nodeName: string,
  nodeStartTime: Date,
  records: readonly TrackedPod<GroupState>[],
  signal: AbortSignal,
): Promise<StatsSummary> {
  const running = records.filter(record => record.state.group.Status === 'Running' && !record.deleting);
  const byId = new Map(running.map(record => [record.state.group.ContainerGroupId, record]));
  const ids = [...byId.keys()];
  const pods: PodStats[] = [];
  for (let i = 0; i < ids.length; i += DESCRIBE_BATCH) {
    const out = await client.request<DescribeMultiContainerGroupMetricResponse>(
      'DescribeMultiContainerGroupMetric',
      { ContainerGroupIds: JSON.stringify(ids.slice(i, i + DESCRIBE_BATCH)), MetricType: 'summary' },
      { signal, idempotent: true },
    );
    for (const data of out.MonitorDatas ?? []) {
      const record = byId.get(data.ContainerGroupId ?? '');
      const latest = data.Records?.at(-1);
      if (record && latest) pods.push(podStats(record, latest));
    }
  }
  const now = new Date().toISOString();
  const sum = (value: (pod: PodStats) => number | undefined) =>
    pods.reduce((total, pod) => total + (value(pod) ?? 0), 0);
  return {
    node: {
      nodeName,
      startTime: nodeStartTime.toISOString(),
      cpu: {
        time: now,
        usageNanoCores: sum(pod => pod.cpu?.usageNanoCores),
        usageCoreNanoSeconds: sum(pod => pod.cpu?.usageCoreNanoSeconds),
      },
      memory: {
        time: now,
        usageBytes: sum(pod => pod.memory?.usageBytes),
        workingSetBytes: sum(pod => pod.memory?.workingSetBytes),
        rssBytes: sum(pod => pod.memory?.rssBytes),
      },
    },
    pods,
  };
}
