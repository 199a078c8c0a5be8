import type { CpuStats, MemoryStats, StatsSummary } from '@vkubelet/provider-kit';

/** The text exposition content type the kubelet serves /metrics/resource with. */
export const RESOURCE_METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type MetricType = 'counter' | 'gauge';

interface Family {
  name: string;
  help: string;
  type: MetricType;
}

interface Sample {
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch; metrics-server takes the sample time from here. */
  timestampMs?: number;
}

// Names, help texts and stability tags as the kubelet's resource metrics collector declares them
// (pkg/kubelet/metrics/collectors/resource_metrics.go), so metrics-server reads us unchanged.
const FAMILIES = {
  containerCpu: {
    name: 'container_cpu_usage_seconds_total',
    help: '[STABLE] Cumulative cpu time consumed by the container in core-seconds',
    type: 'counter',
  },
  containerMemory: {
    name: 'container_memory_working_set_bytes',
    help: '[STABLE] Current working set of the container in bytes',
    type: 'gauge',
  },
  containerStart: {
    name: 'container_start_time_seconds',
    help: '[STABLE] Start time of the container since unix epoch in seconds',
    type: 'gauge',
  },
  nodeCpu: {
    name: 'node_cpu_usage_seconds_total',
    help: '[STABLE] Cumulative cpu time consumed by the node in core-seconds',
    type: 'counter',
  },
  nodeMemory: {
    name: 'node_memory_working_set_bytes',
    help: '[STABLE] Current working set of the node in bytes',
    type: 'gauge',
  },
  podCpu: {
    name: 'pod_cpu_usage_seconds_total',
    help: '[STABLE] Cumulative cpu time consumed by the pod in core-seconds',
    type: 'counter',
  },
  podMemory: {
    name: 'pod_memory_working_set_bytes',
    help: '[STABLE] Current working set of the pod in bytes',
    type: 'gauge',
  },
  resourceScrapeError: {
    name: 'resource_scrape_error',
    help: '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise',
    type: 'gauge',
  },
  scrapeError: {
    name: 'scrape_error',
    help: '[ALPHA] (Deprecated since 1.29.0) 1 if there was an error while getting container metrics, 0 otherwise',
    type: 'gauge',
  },
} as const satisfies Record<string, Family>;

const NANOS_PER_SECOND = 1e9;

function timeOf(rfc3339: string): number | undefined {
  const ms = Date.parse(rfc3339);
  return Number.isNaN(ms) ? undefined : ms;
}

function cpuSample(cpu: CpuStats | undefined, labels: Record<string, string>): Sample | undefined {
  if (cpu?.usageCoreNanoSeconds === undefined) return undefined;
  return { labels, value: cpu.usageCoreNanoSeconds / NANOS_PER_SECOND, timestampMs: timeOf(cpu.time) };
}

function memorySample(memory: MemoryStats | undefined, labels: Record<string, string>): Sample | undefined {
  if (memory?.workingSetBytes === undefined) return undefined;
  return { labels, value: memory.workingSetBytes, timestampMs: timeOf(memory.time) };
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function formatSample(name: string, sample: Sample): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map(key => `${key}="${escapeLabelValue(sample.labels[key] ?? '')}"`);
  const labelText = labels.length > 0 ? `{${labels.join(',')}}` : '';
  const timestamp = sample.timestampMs === undefined ? '' : ` ${sample.timestampMs}`;
  return `${name}${labelText} ${formatValue(sample.value)}${timestamp}\n`;
}

/**
 * Renders the kubelet's `/metrics/resource` from a stats summary (or, when the summary could not be
 * read, only the scrape error gauges set to 1, as the kubelet does). Families are sorted by name and
 * empty ones left out, like the Prometheus Go client's output.
 */
export function renderResourceMetrics(summary: StatsSummary | undefined): string {
  const samples = new Map<Family, Sample[]>();
  const add = (family: Family, sample: Sample | undefined): void => {
    if (!sample) return;
    const list = samples.get(family) ?? [];
    list.push(sample);
    samples.set(family, list);
  };

  if (summary) {
    add(FAMILIES.nodeCpu, cpuSample(summary.node.cpu, {}));
    add(FAMILIES.nodeMemory, memorySample(summary.node.memory, {}));
    for (const pod of summary.pods) {
      const podLabels = { pod: pod.podRef.name, namespace: pod.podRef.namespace };
      for (const container of pod.containers) {
        const labels = { container: container.name, ...podLabels };
        const startMs = timeOf(container.startTime);
        // The kubelet skips containers without a start time (zero or before the epoch).
        if (startMs !== undefined && startMs > 0) {
          add(FAMILIES.containerStart, { labels, value: startMs / 1000 });
        }
        add(FAMILIES.containerCpu, cpuSample(container.cpu, labels));
        add(FAMILIES.containerMemory, memorySample(container.memory, labels));
      }
      add(FAMILIES.podCpu, cpuSample(pod.cpu, podLabels));
      add(FAMILIES.podMemory, memorySample(pod.memory, podLabels));
    }
  }
  const scrapeError = summary ? 0 : 1;
  add(FAMILIES.resourceScrapeError, { labels: {}, value: scrapeError });
  add(FAMILIES.scrapeError, { labels: {}, value: scrapeError });

  return [...samples.entries()]
    .sort(([a], [b]) => (a.name < b.name ? -1 : 1))
    .map(
      ([family, list]) =>
        `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n` +
        list.map(sample => formatSample(family.name, sample)).join(''),
    )
    .join('');
}
