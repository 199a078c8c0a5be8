import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { MetricLabels, MetricMeter } from '@vkubelet/provider-kit';

import { KubeClient } from '../../../src/kube/client.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig/index.js';

export function clientFor(kubeconfigPath: string): KubeClient {
  return KubeClient.create({ kubeConfig: loadKubeconfig(kubeconfigPath), qps: 1000, burst: 1000 });
}

/**
 * The test's admin: client-node's typed core API to set up objects (tests may use it, the agent may
 * not), and a KubeClient with the same identity for informers.
 */
export interface AdminClient {
  core: CoreV1Api;
  client: KubeClient;
  close(): Promise<void>;
}

export function adminFor(kubeconfigPath: string): AdminClient {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const client = clientFor(kubeconfigPath);
  return { core: kubeConfig.makeApiClient(CoreV1Api), client, close: () => client.close() };
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
