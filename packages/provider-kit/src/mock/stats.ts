import type { ContainerStats, PodStats, StatsSummary } from '../stats.js';
import type { MockBackend } from './backend.js';
import { stableHash } from './random.js';

const MiB = 1024 * 1024;

/**
 * Deterministic usage figures: each running container uses 1–50 millicores and 8–72 MiB, derived
 * from its pod and name, unless the pod's usage annotations set them (see usage.ts); its CPU time
 * grows with its uptime, so successive samples are consistent (metrics-server computes rates from them).
 */
export function buildStatsSummary(backend: MockBackend, nodeName: string, now = new Date()): StatsSummary {
  const time = now.toISOString();
  const pods: PodStats[] = [];
  let nodeNanoCores = 0;
  let nodeCoreNanoSeconds = 0;
  let nodeMemory = 0;
  for (const runtime of backend.list()) {
    const metadata = runtime.pod.metadata;
    const containers: ContainerStats[] = [];
    for (const run of runtime.appContainers()) {
      const startedAt = run.state.running?.startedAt;
      if (!startedAt) continue;
      const hash = stableHash(`${metadata?.namespace}/${metadata?.name}/${run.spec.name}`);
      const { usage } = run.program;
      const nanoCores = usage.nanoCores ?? (1 + (hash % 50)) * 1_000_000;
      const uptimeSeconds = Math.max(0, (now.getTime() - new Date(startedAt).getTime()) / 1000);
      const memory = usage.memoryBytes ?? 8 * MiB + (hash % 64) * MiB;
      containers.push({
        name: run.spec.name,
        startTime: new Date(startedAt).toISOString(),
        cpu: { time, usageNanoCores: nanoCores, usageCoreNanoSeconds: Math.round(nanoCores * uptimeSeconds) },
        memory: { time, usageBytes: memory, workingSetBytes: memory, rssBytes: memory },
      });
    }
    if (containers.length === 0) continue;
    const nanoCores = sum(containers, c => c.cpu?.usageNanoCores);
    const coreNanoSeconds = sum(containers, c => c.cpu?.usageCoreNanoSeconds);
    const memory = sum(containers, c => c.memory?.workingSetBytes);
    nodeNanoCores += nanoCores;
    nodeCoreNanoSeconds += coreNanoSeconds;
    nodeMemory += memory;
    const startTime = runtime.status().startTime;
    pods.push({
      podRef: { name: metadata?.name ?? '', namespace: metadata?.namespace ?? '', uid: runtime.uid },
      startTime: (startTime ? new Date(startTime) : now).toISOString(),
      containers,
      cpu: { time, usageNanoCores: nanoCores, usageCoreNanoSeconds: coreNanoSeconds },
      memory: { time, usageBytes: memory, workingSetBytes: memory },
    });
  }
  return {
    node: {
      nodeName,
      startTime: backend.startTime.toISOString(),
      cpu: { time, usageNanoCores: nodeNanoCores, usageCoreNanoSeconds: nodeCoreNanoSeconds },
      memory: { time, usageBytes: nodeMemory, workingSetBytes: nodeMemory },
    },
    pods,
  };
}

function sum<T>(items: readonly T[], value: (item: T) => number | undefined): number {
  return items.reduce((total, item) => total + (value(item) ?? 0), 0);
}
