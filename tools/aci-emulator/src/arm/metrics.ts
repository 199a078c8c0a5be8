import type { ContainerRun } from '@vkubelet/provider-kit/mock';

import type { ArmCall, ArmReply, Route } from '../http/router.js';
import type { StoredGroup } from '../state.js';
import { GROUPS_PATH, type ArmContext } from './context.js';

/** The Azure Monitor api-versions whose `metrics` answer has the shape served here. */
export const MONITOR_API_VERSIONS = [
  '2016-09-01',
  '2017-05-01-preview',
  '2018-01-01',
  '2019-07-01',
  '2021-05-01',
  '2023-10-01',
  '2024-02-01',
];

const MiB = 1024 * 1024;

interface MetricDefinition {
  localized: string;
  unit: string;
  description: string;
  /** The value a container shows at `time`, from its name's hash (deterministic, like the mock's stats). */
  value(hash: number, time: number): number;
}

const METRICS: Record<string, MetricDefinition> = {
  CpuUsage: {
    localized: 'CPU Usage',
    unit: 'Count',
    description: 'CPU usage on all cores in millicores.',
    value: (hash, time) => 1 + (hash % 50) + ((Math.floor(time / 60_000) + hash) % 5),
  },
  MemoryUsage: {
    localized: 'Memory Usage',
    unit: 'Bytes',
    description: 'Total memory usage in byte.',
    value: hash => 8 * MiB + (hash % 64) * MiB,
  },
  NetworkBytesReceivedPerSecond: {
    localized: 'Network Bytes Received Per Second',
    unit: 'Count',
    description: 'The network bytes received per second.',
    value: hash => hash % 1000,
  },
  NetworkBytesTransmittedPerSecond: {
    localized: 'Network Bytes Transmitted Per Second',
    unit: 'Count',
    description: 'The network bytes transmitted per second.',
    value: hash => (hash >> 3) % 1000,
  },
};

const AGGREGATIONS = ['Average', 'Count', 'Maximum', 'Minimum', 'Total'];

/** FNV-1a, for per-container figures that stay the same from run to run. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** An ISO 8601 duration of the kinds Monitor takes for `interval` (PT1M, PT5M, PT1H, P1D). */
function durationMs(text: string): number | undefined {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(text);
  if (!match || text.toUpperCase() === 'P' || text.toUpperCase() === 'PT') return undefined;
  const [, d = '0', h = '0', m = '0', s = '0'] = match;
  const ms = ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1000;
  return ms > 0 ? ms : undefined;
}

/** Monitor answers errors as `{code, message}`, without ARM's `error` wrapper. */
function badRequest(message: string): ArmReply {
  return { status: 400, body: { code: 'BadRequest', message } };
}

/** When a container's current run covered `time`. */
function runningAt(run: ContainerRun, time: number): boolean {
  const started = run.state.running?.startedAt ?? run.state.terminated?.startedAt;
  if (!started) return false;
  const finished = run.state.terminated?.finishedAt;
  return new Date(started).getTime() <= time && (!finished || new Date(finished).getTime() >= time);
}

function metrics(ctx: ArmContext, call: ArmCall): ArmReply {
  const stored: StoredGroup = ctx.state.group(call.params['resourceGroup']!, call.params['name']!);
  const query = call.url.searchParams;
  const names = (query.get('metricnames') ?? 'CpuUsage').split(',').map(name => name.trim());
  const unknown = names.find(name => !METRICS[name]);
  if (unknown) {
    return badRequest(
      `Failed to find metric configuration for provider: Microsoft.ContainerInstance, resource Type: containerGroups, metric: ${unknown}, Valid metrics: ${Object.keys(METRICS).join(',')}`,
    );
  }
  const aggregations = (query.get('aggregation') ?? 'Average').split(',').map(name => name.trim());
  const badAggregation = aggregations.find(
    name => !AGGREGATIONS.some(known => known.toLowerCase() === name.toLowerCase()),
  );
  if (badAggregation)
    return badRequest(
      `Invalid aggregation type '${badAggregation}'. Valid values are ${AGGREGATIONS.join(', ')}.`,
    );
  const interval = query.get('interval') ?? 'PT1M';
  const step = durationMs(interval);
  if (!step) return badRequest(`Invalid interval '${interval}'.`);
  const now = Date.now();
  const [from, to] = (query.get('timespan') ?? '').split('/');
  const end = to ? Date.parse(to) : now;
  const start = from ? Date.parse(from) : end - 3600_000;
  if (!Number.isFinite(start) || !Number.isFinite(end) || start >= end) {
    return badRequest(
      `Invalid timespan '${query.get('timespan')}': expected start/end in ISO 8601, start before end.`,
    );
  }
  if ((end - start) / step > 10_000)
    return badRequest('The requested timespan and interval give more than 10000 data points.');
  const filter = query.get('$filter') ?? '';
  const split = /containerName\s+eq\s+'([^']*)'/i.exec(filter);
  const runs = stored.record.runtime?.appContainers() ?? [];
  const selected = split && split[1] !== '*' ? runs.filter(run => run.spec.name === split[1]) : runs;
  const series = split ? selected.map(run => [run]) : [selected];
  const first = Math.floor(start / step) * step;
  const value = names.map(name => {
    const definition = METRICS[name]!;
    return {
      id: `${stored.record.id}/providers/Microsoft.Insights/metrics/${name}`,
      type: 'Microsoft.Insights/metrics',
      name: { value: name, localizedValue: definition.localized },
      displayDescription: definition.description,
      unit: definition.unit,
      timeseries: series.map(group => ({
        metadatavalues: split
          ? [
              {
                name: { value: 'containername', localizedValue: 'containername' },
                value: group[0]?.spec.name ?? '',
              },
            ]
          : [],
        data: points(first, end, step).map(time => {
          const live = group.filter(run => runningAt(run, time + step - 1) || runningAt(run, time));
          if (live.length === 0) return { timeStamp: new Date(time).toISOString() };
          const sum = live.reduce(
            (total, run) => total + definition.value(hashOf(`${stored.record.id}/${run.spec.name}`), time),
            0,
          );
          return { timeStamp: new Date(time).toISOString(), ...aggregate(aggregations, sum) };
        }),
      })),
      errorCode: 'Success',
    };
  });
  return {
    status: 200,
    body: {
      cost: 0,
      timespan: `${new Date(start).toISOString()}/${new Date(end).toISOString()}`,
      interval,
      value,
      namespace: 'Microsoft.ContainerInstance/containerGroups',
      resourceregion: stored.location,
    },
  };
}

function points(first: number, end: number, step: number): number[] {
  const out: number[] = [];
  for (let time = first; time < end; time += step) out.push(time);
  return out;
}

/** A steady sample per interval: average, minimum and maximum agree; count is one sample a minute. */
function aggregate(aggregations: string[], value: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of aggregations.map(a => a.toLowerCase())) {
    if (name === 'average') out['average'] = value;
    if (name === 'minimum') out['minimum'] = value;
    if (name === 'maximum') out['maximum'] = value;
    if (name === 'total') out['total'] = value;
    if (name === 'count') out['count'] = 1;
  }
  return out;
}

/** Azure Monitor metrics of a container group (`.../providers/microsoft.Insights/metrics`). */
export function metricsRoutes(ctx: ArmContext): Route[] {
  return [
    {
      pattern: new RegExp(
        String.raw`${GROUPS_PATH}/(?<name>[^/]+)/providers/microsoft\.insights/metrics$`,
        'i',
      ),
      apiVersions: MONITOR_API_VERSIONS,
      methods: { GET: call => metrics(ctx, call) },
    },
  ];
}
