import { createHash } from 'node:crypto';

import type { ContainerGroup } from '../groups/group.js';
import { eciTime } from '../groups/time.js';
import { apiErrors } from '../rpc/errors.js';
import type { ActionContext, Wire } from './context.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const PERIODS = [15, 30, 60, 600];
const DEFAULT_WINDOW_MS = 5 * 60 * 1000;
const MAX_RECORDS = 1440;

/**
 * DescribeContainerGroupMetric: one record per `Period` (15, 30, 60 or 600 s; default 60) between
 * StartTime and EndTime (default: the last 5 minutes), for the times the group's containers ran.
 */
export function describeContainerGroupMetric({ service, params }: ActionContext): Wire {
  const group = service.store.require(params.requiredString('ContainerGroupId'));
  const period = Number(params.enumeration('Period', PERIODS.map(String)) ?? '60');
  // No records from the future.
  const end = Math.min(readTime(params.string('EndTime'), 'EndTime') ?? Date.now(), Date.now());
  const start = readTime(params.string('StartTime'), 'StartTime') ?? end - DEFAULT_WINDOW_MS;
  if (start > end) throw apiErrors.invalidParameter('StartTime', 'StartTime is after EndTime.');
  const step = period * 1000;
  const records: Wire[] = [];
  for (let time = Math.ceil(start / step) * step; time <= end; time += step) {
    const record = metricRecord(group, time);
    if (record) records.push(record);
  }
  return { ContainerGroupId: group.id, Records: records.slice(-MAX_RECORDS) };
}

/** DescribeMultiContainerGroupMetric: the latest record of up to 20 groups (unknown IDs are skipped). */
export function describeMultiContainerGroupMetric({ service, params }: ActionContext): Wire {
  const ids = params.jsonStrings('ContainerGroupIds', { max: 20 });
  if (!ids || ids.length === 0) throw apiErrors.missingParameter('ContainerGroupIds');
  params.enumeration('MetricType', ['summary'] as const);
  const now = Date.now();
  return {
    MonitorDatas: ids.flatMap(id => {
      const group = service.store.get(id);
      if (!group) return [];
      const record = metricRecord(group, now);
      return [{ ContainerGroupId: id, Records: record ? [record] : [] }];
    }),
  };
}

function readTime(value: string | undefined, name: string): number | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw apiErrors.invalidParameter(name, 'Expected an RFC 3339 time.');
  return time;
}

function stable(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/**
 * Usage figures that are deterministic per container and consistent over time: each running
 * container uses 1-50 millicores and 8-72 MiB, and its CPU time grows with its uptime, so rates
 * computed from two records make sense. Undefined when no container ran at `time`.
 */
function metricRecord(group: ContainerGroup, time: number): Wire | undefined {
  const containers = group.spec.containers.flatMap(container => {
    const startedAt = group.containerRun(container.name)?.state.running?.startedAt;
    if (!startedAt || new Date(startedAt).getTime() > time) return [];
    const hash = stable(`${group.id}/${container.name}`);
    const nanoCores = (1 + (hash % 50)) * 1_000_000;
    const uptimeSeconds = (time - new Date(startedAt).getTime()) / 1000;
    const memory = 8 * MiB + (hash % 64) * MiB;
    const limit = Math.round((container.cpu || group.spec.cpu) * 1000);
    return [
      {
        Name: container.name,
        CPU: {
          Limit: limit,
          Load: 0,
          UsageNanoCores: nanoCores,
          UsageCoreNanoSeconds: Math.round(nanoCores * uptimeSeconds),
        },
        Memory: memoryFigures(memory, (container.memory || group.spec.memory) * GiB),
        uptimeSeconds,
      },
    ];
  });
  if (containers.length === 0) return undefined;
  const sum = (value: (container: (typeof containers)[number]) => number) =>
    containers.reduce((total, container) => total + value(container), 0);
  const memory = sum(container => container.Memory.WorkingSet);
  const uptime = Math.max(...containers.map(container => container.uptimeSeconds));
  return {
    Timestamp: eciTime(time),
    CPU: {
      Limit: Math.round(group.spec.cpu * 1000),
      Load: 0,
      UsageNanoCores: sum(container => container.CPU.UsageNanoCores),
      UsageCoreNanoSeconds: sum(container => container.CPU.UsageCoreNanoSeconds),
    },
    Memory: memoryFigures(memory, group.spec.memory * GiB),
    Network: {
      Interfaces: [
        {
          Name: 'eth0',
          RxBytes: Math.round(uptime * 2048),
          RxPackets: Math.round(uptime * 8),
          RxErrors: 0,
          RxDrops: 0,
          TxBytes: Math.round(uptime * 1024),
          TxPackets: Math.round(uptime * 4),
          TxErrors: 0,
          TxDrops: 0,
        },
      ],
    },
    Disk: [
      {
        Device: '/dev/vda',
        ReadBytes: Math.round(uptime * 4096),
        WriteBytes: Math.round(uptime * 1024),
        ReadIO: 0,
        WriteIO: 0,
      },
    ],
    Filesystem: [
      { FsName: '/dev/root', Category: 'System', Capacity: 30 * GiB, Usage: 2 * GiB, Available: 28 * GiB },
    ],
    Containers: containers.map(({ uptimeSeconds: _uptime, ...container }) => container),
  };
}

function memoryFigures(
  workingSet: number,
  total: number,
): { AvailableBytes: number; Cache: number; Rss: number; UsageBytes: number; WorkingSet: number } {
  return {
    AvailableBytes: Math.max(0, total - workingSet),
    Cache: 0,
    Rss: workingSet,
    UsageBytes: workingSet,
    WorkingSet: workingSet,
  };
}
