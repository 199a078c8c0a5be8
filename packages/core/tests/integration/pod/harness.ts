import type { V1Pod } from '@kubernetes/client-node';
import { noopLogger, noopMeter, type Logger, type MetricMeter, type Provider } from '@vkubelet/provider-kit';

/** Set VK_TEST_LOG=1 to see the controller's warnings while debugging a test. */
const testLogger: Logger = process.env.VK_TEST_LOG
  ? {
      ...noopLogger,
      warn: (message, meta) => console.warn(message, meta),
      error: (message, meta) => console.error(message, meta),
      child: () => testLogger,
    }
  : noopLogger;

import { Informer } from '../../../src/cache/informer.js';
import { ScopedResourceCache } from '../../../src/cache/scoped-resource-cache.js';
import { EventRecorder } from '../../../src/events/recorder.js';
import { eventsApiSink } from '../../../src/events/sink.js';
import { KubeClient } from '../../../src/kube/client.js';
import { loadKubeconfig } from '../../../src/kube/kubeconfig/index.js';
import { PodController } from '../../../src/pod/controller.js';

export function clientFor(kubeconfigPath: string): KubeClient {
  return KubeClient.create({ kubeConfig: loadKubeconfig(kubeconfigPath) });
}

/** Sums counter additions by `name{label=value,...}`, so tests can see relists and errors. */
export class CountingMeter implements MetricMeter {
  readonly counts = new Map<string, number>();
  counter(name: string): ReturnType<MetricMeter['counter']> {
    return {
      add: (value = 1, labels = {}) => {
        const key = `${name}{${Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .sort()
          .join(',')}}`;
        this.counts.set(key, (this.counts.get(key) ?? 0) + value);
      },
    };
  }
  gauge = noopMeter.gauge;
  histogram = noopMeter.histogram;
  total(prefix: string): number {
    let sum = 0;
    for (const [key, value] of this.counts) if (key.startsWith(prefix)) sum += value;
    return sum;
  }
}

export interface RunningController {
  controller: PodController;
  metrics: CountingMeter;
  events: EventRecorder;
  stop(): Promise<void>;
}

/** A pod controller for `nodeName` as the node identity, with its own informer, running until stop(). */
export async function runController(
  nodeKubeconfigPath: string,
  nodeName: string,
  provider: Provider,
  overrides: { statusPollIntervalMs?: number } = {},
): Promise<RunningController> {
  const client = clientFor(nodeKubeconfigPath);
  const abort = new AbortController();
  const metrics = new CountingMeter();
  const informer = new Informer<V1Pod>({
    metrics,
    client,
    path: '/api/v1/pods',
    fieldSelector: `spec.nodeName=${nodeName}`,
    minBackoffMs: 100,
    maxBackoffMs: 1000,
  });
  // The cache the agent uses: per-object watches of what the node's pods refer to (Node authorizer).
  const resources = new ScopedResourceCache({
    client,
    notFoundTtlMs: 200,
    informerDefaults: { minBackoffMs: 100, maxBackoffMs: 1000 },
  });
  resources.followPods(informer);
  informer.start(abort.signal);
  const events = new EventRecorder({ nodeName, sink: eventsApiSink(client), seriesFlushMs: 500 });
  const controller = new PodController({
    nodeName,
    client,
    podInformer: informer,
    resources,
    provider,
    events,
    workers: 4,
    baseBackoffMs: 200,
    maxBackoffMs: 2000,
    statusPollIntervalMs: overrides.statusPollIntervalMs ?? 500,
    allocatable: { cpu: '8', memory: '32Gi' },
    hostIPs: ['192.168.0.10'],
    logger: testLogger,
    metrics,
  });
  const done = controller.run(abort.signal);
  return {
    controller,
    metrics,
    events,
    stop: async () => {
      abort.abort();
      await done;
      await informer.stop();
      await resources.stop();
      await events.close();
      await client.close();
    },
  };
}

export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}: ${String(lastError)}`, { cause: lastError });
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

export function podManifest(
  name: string,
  nodeName: string,
  extra: Partial<NonNullable<V1Pod['spec']>> = {},
): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: {
      nodeName,
      automountServiceAccountToken: false,
      tolerations: [{ operator: 'Exists' }],
      containers: [{ name: 'main', image: 'busybox:1' }],
      ...extra,
    },
  };
}
