import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '@vkubelet/core';

import { summarize, type LatencySummary } from './percentiles.js';

export interface ScenarioOptions {
  name: string;
  nodeName: string;
  namespace: string;
  pods: number;
  /** Pods created per second, or 'max' for as fast as `concurrency` allows. */
  rate: number | 'max';
  concurrency: number;
  /** Give up waiting for pods to run or go after this long. */
  timeoutMs: number;
  log?: (line: string) => void;
}

export interface ScenarioMeasurements {
  createToRunning: LatencySummary;
  deleteToGone: LatencySummary;
  /** Pods created per second (achieved, not requested). */
  createRate: number;
  /** Pods that reached Running per second, first create to last Running. */
  runningThroughput: number;
  /** Pods gone per second, first delete to last gone. */
  deleteThroughput: number;
  notRunning: number;
  notGone: number;
  /** Client-side timestamps per pod, for joining with the provider's call log. */
  timeline: Map<string, { created?: number; running?: number; deleteRequested?: number; gone?: number }>;
}

const podBody = (name: string, options: ScenarioOptions): V1Pod => ({
  metadata: { name, namespace: options.namespace, labels: { app: 'bench', scenario: options.name } },
  spec: {
    nodeName: options.nodeName,
    tolerations: [{ operator: 'Exists' }],
    containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
    terminationGracePeriodSeconds: 30,
  },
});

/** Runs `work` for each index at `rate` per second (or as fast as `concurrency` allows). */
async function paced(
  count: number,
  rate: number | 'max',
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      if (rate !== 'max') {
        const due = start + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait));
      }
      await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/**
 * Creates `pods` pods bound to the node, waits until all run (seen through a watch), deletes them all
 * and waits until they are gone, timing each pod on the client's clock.
 */
export async function runScenario(
  client: KubeClient,
  options: ScenarioOptions,
): Promise<ScenarioMeasurements> {
  const timeline: ScenarioMeasurements['timeline'] = new Map();
  const names = Array.from({ length: options.pods }, (_, i) => `${options.name}-${i}`);
  for (const name of names) timeline.set(name, {});
  const watchAbort = new AbortController();
  let allRunning!: () => void;
  let allGone!: () => void;
  const runningDone = new Promise<void>(resolve => (allRunning = resolve));
  const goneDone = new Promise<void>(resolve => (allGone = resolve));
  let running = 0;
  let gone = 0;

  const observe = (type: string, pod: V1Pod) => {
    const name = pod.metadata?.name;
    const entry = name ? timeline.get(name) : undefined;
    if (!entry) return;
    const now = performance.timeOrigin + performance.now();
    if (type === 'DELETED') {
      if (entry.gone === undefined) {
        entry.gone = now;
        if (++gone === options.pods) allGone();
      }
    } else if (pod.status?.phase === 'Running' && entry.running === undefined) {
      entry.running = now;
      if (++running === options.pods) allRunning();
    }
  };
  const selector = `scenario=${options.name}`;
  const podsPath = `/api/v1/namespaces/${options.namespace}/pods`;
  // The watch is re-opened (after a fresh list) whenever it ends, so no transition goes unseen;
  // a transition first seen in such a list is timed at that moment, a little late.
  const follow = async () => {
    let firstList = true;
    while (!watchAbort.signal.aborted) {
      try {
        const list = await client.requestJson<{ metadata: { resourceVersion: string }; items: V1Pod[] }>(
          'GET',
          podsPath,
          {
            query: { labelSelector: selector },
          },
        );
        const present = new Set(list.items.map(p => p.metadata?.name));
        for (const pod of list.items) observe('ADDED', pod);
        if (!firstList) {
          for (const [name, entry] of timeline) {
            if (entry.created !== undefined && !present.has(name)) observe('DELETED', { metadata: { name } });
          }
        }
        firstList = false;
        await client.watch<V1Pod>(
          podsPath,
          {
            resourceVersion: list.metadata.resourceVersion,
            labelSelector: selector,
            allowWatchBookmarks: true,
          },
          event => observe(event.type, event.object),
          watchAbort.signal,
        );
      } catch (err) {
        if (watchAbort.signal.aborted) return;
        options.log?.(`watch of ${options.name} ended (${(err as Error).message}); listing again`);
      }
    }
  };
  const watching = follow();
  await new Promise(resolve => setTimeout(resolve, 200));

  const deadline = (what: string) =>
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`${what} not done within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      ).unref(),
    );

  const createStart = performance.now();
  await paced(options.pods, options.rate, options.concurrency, async i => {
    const name = names[i]!;
    timeline.get(name)!.created = performance.timeOrigin + performance.now();
    await client.requestJson('POST', `/api/v1/namespaces/${options.namespace}/pods`, {
      body: podBody(name, options),
    });
  });
  const createSeconds = (performance.now() - createStart) / 1000;
  await Promise.race([runningDone, deadline('pods running')]).catch(() => {});

  await paced(options.pods, options.rate, options.concurrency, async i => {
    const name = names[i]!;
    timeline.get(name)!.deleteRequested = performance.timeOrigin + performance.now();
    await client.requestJson('DELETE', `/api/v1/namespaces/${options.namespace}/pods/${name}`);
  });
  await Promise.race([goneDone, deadline('pods gone')]).catch(() => {});
  watchAbort.abort();
  await watching;

  const entries = [...timeline.values()];
  const spans = (from: 'created' | 'deleteRequested', to: 'running' | 'gone') =>
    entries.filter(e => e[from] !== undefined && e[to] !== undefined).map(e => e[to]! - e[from]!);
  const extent = (from: 'created' | 'deleteRequested', to: 'running' | 'gone') => {
    const starts = entries.map(e => e[from]).filter((t): t is number => t !== undefined);
    const ends = entries.map(e => e[to]).filter((t): t is number => t !== undefined);
    return ends.length === 0 ? NaN : ends.length / ((Math.max(...ends) - Math.min(...starts)) / 1000);
  };
  return {
    createToRunning: summarize(spans('created', 'running')),
    deleteToGone: summarize(spans('deleteRequested', 'gone')),
    createRate: options.pods / createSeconds,
    runningThroughput: extent('created', 'running'),
    deleteThroughput: extent('deleteRequested', 'gone'),
    notRunning: options.pods - running,
    notGone: options.pods - gone,
    timeline,
  };
}
