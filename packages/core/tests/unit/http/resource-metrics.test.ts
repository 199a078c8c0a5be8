import type { StatsSummary } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { renderResourceMetrics } from '../../../src/http/resource-metrics.js';

const T = '2024-01-01T00:00:10Z';
const T_MS = Date.parse(T);

const summary: StatsSummary = {
  node: {
    nodeName: 'vk',
    startTime: '2024-01-01T00:00:00Z',
    cpu: { time: T, usageCoreNanoSeconds: 2_500_000_000 },
    memory: { time: T, workingSetBytes: 1024 },
  },
  pods: [
    {
      podRef: { name: 'web', namespace: 'default', uid: 'u1' },
      startTime: '2024-01-01T00:00:01Z',
      cpu: { time: T, usageCoreNanoSeconds: 1_000_000_000 },
      memory: { time: T, workingSetBytes: 512 },
      containers: [
        {
          name: 'nginx',
          startTime: '2024-01-01T00:00:02.5Z',
          cpu: { time: T, usageCoreNanoSeconds: 500_000_000 },
          memory: { time: T, workingSetBytes: 256 },
        },
        // No usage yet: only its start time is reported.
        { name: 'sidecar', startTime: '2024-01-01T00:00:03Z' },
      ],
    },
  ],
};

describe('renderResourceMetrics', () => {
  const text = renderResourceMetrics(summary);
  const samples = text.split('\n').filter(l => l && !l.startsWith('#'));

  it('renders the kubelet families with their labels, values and timestamps', () => {
    expect(samples).toEqual([
      `container_cpu_usage_seconds_total{container="nginx",namespace="default",pod="web"} 0.5 ${T_MS}`,
      `container_memory_working_set_bytes{container="nginx",namespace="default",pod="web"} 256 ${T_MS}`,
      'container_start_time_seconds{container="nginx",namespace="default",pod="web"} 1704067202.5',
      'container_start_time_seconds{container="sidecar",namespace="default",pod="web"} 1704067203',
      `node_cpu_usage_seconds_total 2.5 ${T_MS}`,
      `node_memory_working_set_bytes 1024 ${T_MS}`,
      `pod_cpu_usage_seconds_total{namespace="default",pod="web"} 1 ${T_MS}`,
      `pod_memory_working_set_bytes{namespace="default",pod="web"} 512 ${T_MS}`,
      'resource_scrape_error 0',
      'scrape_error 0',
    ]);
  });

  it('declares counter and gauge types as the kubelet does', () => {
    expect(text).toContain('# TYPE node_cpu_usage_seconds_total counter\n');
    expect(text).toContain('# TYPE container_cpu_usage_seconds_total counter\n');
    expect(text).toContain('# TYPE pod_memory_working_set_bytes gauge\n');
    expect(text).toContain('# TYPE container_start_time_seconds gauge\n');
    expect(text).toContain(
      '# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes\n',
    );
  });

  it('reports only the scrape errors when the summary failed', () => {
    const failed = renderResourceMetrics(undefined)
      .split('\n')
      .filter(l => l && !l.startsWith('#'));
    expect(failed).toEqual(['resource_scrape_error 1', 'scrape_error 1']);
  });

  it('escapes label values', () => {
    const odd: StatsSummary = {
      node: { nodeName: 'vk', startTime: T },
      pods: [
        {
          podRef: { name: 'a"b\\c', namespace: 'n', uid: 'u' },
          startTime: T,
          containers: [],
          memory: { time: T, workingSetBytes: 1 },
        },
      ],
    };
    expect(renderResourceMetrics(odd)).toContain(
      'pod_memory_working_set_bytes{namespace="n",pod="a\\"b\\\\c"} 1',
    );
  });
});
