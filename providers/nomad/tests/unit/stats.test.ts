import { describe, expect, it } from 'vitest';

import { CpuCounter, podStats, statsSummary } from '../../src/stats.js';

describe('stats', () => {
  it("turn Nomad's current CPU load into the cumulative CPU time the kubelet reports", () => {
    const counter = new CpuCounter();
    const start = new Date(0);
    // Half a core since the start (10 s), then a full core for 2 s: 5 + 1.5 core-seconds (trapezoid).
    expect(counter.sample('a/app', 5e8, start, 10_000)).toBe(5e9);
    expect(counter.sample('a/app', 1e9, start, 12_000)).toBe(6.5e9);
    counter.retain(new Set());
    expect(counter.sample('a/app', 1e9, start, 12_000)).toBe(12e9);
  });

  it('build pod and node figures from the allocation stats', () => {
    const counter = new CpuCounter();
    const now = 60_000;
    const pod = podStats(
      {
        pod: { namespace: 'default', name: 'web', uid: 'u' },
        allocId: 'a',
        startTime: new Date(0),
        taskStarts: new Map([
          ['app', new Date(0)],
          ['gone', new Date(0)],
        ]),
        usage: {
          Tasks: {
            app: { ResourceUsage: { CpuStats: { Percent: 25 }, MemoryStats: { RSS: 1000, Usage: 1500 } } },
          },
        },
      },
      counter,
      now,
    );
    expect(pod.containers.map(c => c.name)).toEqual(['app']);
    expect(pod.containers[0]).toMatchObject({
      cpu: { usageNanoCores: 250_000_000, usageCoreNanoSeconds: 15e9 },
      memory: { usageBytes: 1500, workingSetBytes: 1000, rssBytes: 1000 },
    });
    const summary = statsSummary('vk', new Date(0), [pod, pod], now);
    expect(summary.node.cpu?.usageNanoCores).toBe(500_000_000);
    expect(summary.node.memory?.workingSetBytes).toBe(2000);
  });
});
