import type { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import type { ContainerStats, PodStats, StatsSummary } from '@vkubelet/provider-kit';

import { callArm } from './azure/errors.js';

/** The Azure Monitor api-version of the metrics read (ARM's `microsoft.Insights/metrics`). */
export const MONITOR_API_VERSION = '2018-01-01';
/** How far back a read looks: Monitor publishes a minute's figure a little after the minute. */
const WINDOW_MS = 5 * 60_000;

/** What Monitor says about one container: its latest figures. */
export interface ContainerUsage {
  /** Time of the figures. */
  time: Date;
  /** Millicores (ACI's CpuUsage). */
  cpuMillicores?: number;
  /** Bytes (ACI's MemoryUsage). */
  memoryBytes?: number;
}

interface MetricsAnswer {
  value?: Array<{
    name?: { value?: string };
    timeseries?: Array<{
      metadatavalues?: Array<{ name?: { value?: string }; value?: string }>;
      data?: Array<{ timeStamp?: string; average?: number }>;
    }>;
  }>;
}

/** The latest averaged point of each container's CpuUsage and MemoryUsage in a metrics answer. */
export function latestUsage(answer: MetricsAnswer): Map<string, ContainerUsage> {
  const usage = new Map<string, ContainerUsage>();
  for (const metric of answer.value ?? []) {
    const name = metric.name?.value;
    for (const series of metric.timeseries ?? []) {
      const container = series.metadatavalues?.find(
        m => m.name?.value?.toLowerCase() === 'containername',
      )?.value;
      if (!container) continue;
      const point = (series.data ?? []).findLast(p => p.average !== undefined && p.timeStamp);
      if (!point) continue;
      const entry = usage.get(container) ?? { time: new Date(point.timeStamp!) };
      const time = new Date(point.timeStamp!);
      if (time > entry.time) entry.time = time;
      if (name === 'CpuUsage') entry.cpuMillicores = point.average!;
      if (name === 'MemoryUsage') entry.memoryBytes = point.average!;
      usage.set(container, entry);
    }
  }
  return usage;
}

/**
 * Per-container usage of a container group from Azure Monitor, read with the ACI client's own
 * pipeline (its credential, retries and TLS settings) as one GET of ARM's metrics endpoint: the
 * deprecated `@azure/monitor-query` and its successor (a regional data-plane endpoint) would add a
 * client and an endpoint for this single read.
 */
export async function readGroupUsage(
  client: ContainerInstanceManagementClient,
  endpoint: string,
  groupId: string,
  signal: AbortSignal,
): Promise<Map<string, ContainerUsage>> {
  const end = new Date();
  const start = new Date(end.getTime() - WINDOW_MS);
  const query = new URLSearchParams({
    'api-version': MONITOR_API_VERSION,
    metricnames: 'CpuUsage,MemoryUsage',
    aggregation: 'Average',
    interval: 'PT1M',
    timespan: `${start.toISOString()}/${end.toISOString()}`,
    $filter: "containerName eq '*'",
  });
  const url = `${endpoint.replace(/\/$/, '')}${groupId}/providers/microsoft.Insights/metrics?${query.toString()}`;
  const response = await callArm('Metrics_List', async () => {
    const answer = await client.sendRequest(
      createPipelineRequest({ url, method: 'GET', abortSignal: signal }),
    );
    if (answer.status !== 200)
      throw new Error(`Azure Monitor answered ${answer.status}: ${answer.bodyAsText ?? ''}`);
    return answer;
  });
  return latestUsage(JSON.parse(response.bodyAsText ?? '{}') as MetricsAnswer);
}

/**
 * Cumulative CPU time per container, which the kubelet's resource metrics need and Monitor does not
 * give: the rate Monitor reports, summed over the time between two reads.
 */
export class CpuTimeLedger {
  private readonly totals = new Map<string, { nanoSeconds: number; rate: number; at: number }>();

  /** The container's CPU time so far, after `nanoCores` were measured at `now`. */
  record(key: string, nanoCores: number, now: number): number {
    const entry = this.totals.get(key);
    const nanoSeconds = entry ? entry.nanoSeconds + (entry.rate * (now - entry.at)) / 1000 : 0;
    this.totals.set(key, { nanoSeconds, rate: nanoCores, at: now });
    return Math.round(nanoSeconds);
  }

  /** Forgets containers that are no longer reported. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.totals.keys()) if (!keys.has(key)) this.totals.delete(key);
  }
}

/**
 * One pod's stats in the kubelet's Summary shape, from its containers' usage, sampled at `now`: the
 * CPU time counter runs up to now, and metrics-server needs the sample time to move with it (Monitor's
 * own point times stand still for a minute).
 */
export function podStats(
  podRef: PodStats['podRef'],
  startTime: Date,
  containers: Array<{ name: string; startTime: Date; usage: ContainerUsage | undefined; cpuTime: number }>,
  now: Date,
): PodStats {
  const time = now.toISOString();
  const stats: ContainerStats[] = containers.map(({ name, startTime: started, usage, cpuTime }) => ({
    name,
    startTime: started.toISOString(),
    ...(usage?.cpuMillicores !== undefined
      ? {
          cpu: {
            time,
            usageNanoCores: Math.round(usage.cpuMillicores * 1e6),
            usageCoreNanoSeconds: cpuTime,
          },
        }
      : {}),
    ...(usage?.memoryBytes !== undefined
      ? {
          memory: {
            time,
            workingSetBytes: Math.round(usage.memoryBytes),
            usageBytes: Math.round(usage.memoryBytes),
          },
        }
      : {}),
  }));
  const withCpu = stats.filter(c => c.cpu);
  const withMemory = stats.filter(c => c.memory);
  const latest = stats
    .map(c => c.cpu?.time ?? c.memory?.time)
    .filter(Boolean)
    .sort()
    .at(-1);
  return {
    podRef,
    startTime: startTime.toISOString(),
    containers: stats,
    ...(latest && withCpu.length > 0
      ? {
          cpu: {
            time: latest,
            usageNanoCores: withCpu.reduce((sum, c) => sum + (c.cpu!.usageNanoCores ?? 0), 0),
            usageCoreNanoSeconds: withCpu.reduce((sum, c) => sum + (c.cpu!.usageCoreNanoSeconds ?? 0), 0),
          },
        }
      : {}),
    ...(withMemory.length > 0
      ? {
          memory: {
            time,
            workingSetBytes: withMemory.reduce((sum, c) => sum + (c.memory!.workingSetBytes ?? 0), 0),
            usageBytes: withMemory.reduce((sum, c) => sum + (c.memory!.usageBytes ?? 0), 0),
          },
        }
      : {}),
  };
}

/** The node's figures: the sum over its pods. */
export function summarize(nodeName: string, nodeStart: Date, pods: PodStats[], now: Date): StatsSummary {
  const cpu = pods.reduce((sum, p) => sum + (p.cpu?.usageNanoCores ?? 0), 0);
  const cpuTime = pods.reduce((sum, p) => sum + (p.cpu?.usageCoreNanoSeconds ?? 0), 0);
  const memory = pods.reduce((sum, p) => sum + (p.memory?.workingSetBytes ?? 0), 0);
  const time = now.toISOString();
  return {
    node: {
      nodeName,
      startTime: nodeStart.toISOString(),
      cpu: { time, usageNanoCores: cpu, usageCoreNanoSeconds: cpuTime },
      memory: { time, workingSetBytes: memory, usageBytes: memory },
    },
    pods,
  };
}
