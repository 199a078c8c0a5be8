import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { MetricLabels, MetricMeter } from '@vkubelet/provider-kit';

import { KubeClient } from '../../../src/kube/client.js';

export function clientFor(kubeconfigPath: string): KubeClient {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  return KubeClient.create({ kubeConfig, qps: 1000, burst: 1000 });
}

export function podSpec(name: string, nodeName: string, extra: Partial<V1Pod['spec']> = {}): V1Pod {
  return {
    metadata: { name },
    spec: { nodeName, containers: [{ name: 'c', image: 'example.invalid/app:1' }], ...extra },
  };
}

/** A meter that sums counters by name and labels, to assert what an informer went through. */
export function countingMeter(): { meter: MetricMeter; count(name: string, labels?: MetricLabels): number } {
  const totals = new Map<string, number>();
  const keyOf = (name: string, labels: MetricLabels = {}) =>
    `${name}${JSON.stringify(Object.entries(labels).sort())}`;
  return {
    meter: {
      counter: name => ({
        add: (value = 1, labels) =>
          totals.set(keyOf(name, labels), (totals.get(keyOf(name, labels)) ?? 0) + value),
      }),
      gauge: () => ({ set() {} }),
      histogram: () => ({ observe() {} }),
    },
    count: (name, labels) => totals.get(keyOf(name, labels)) ?? 0,
  };
}
