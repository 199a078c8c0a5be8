import type { V1Pod, V1PodSpec } from '@kubernetes/client-node';
import type { KubeClient } from '@vkubelet/core';
import { errorMessage } from '@vkubelet/provider-kit';

import { summarize, type LatencySummary } from './percentiles.js';
import { PodWatch } from './pod-watch.js';

export interface ScenarioOptions {
  name: string;
  nodeName: string;
  namespace: string;
  pods: number;
  /** Pods created (and deleted) per second, or 'max' for as fast as `concurrency` allows. */
  rate: number | 'max';
  concurrency: number;
  /** After the last create, how long to wait for every pod to be Running before deleting them all. */
  runningCapMs: number;
  /** After the last delete, how long to wait for every pod to be gone. */
  goneCapMs: number;
  /** Replaces parts of the pods' spec (default: one busybox container running `sleep 3600`). */
  podSpec?: Partial<V1PodSpec>;
  /** Called every `progressMs` (default 5 s) with what has happened so far, for long runs. */
  onProgress?: (counts: {
    created: number;
    running: number;
    gone: number;
    phase: 'create' | 'delete';
  }) => void;
  progressMs?: number;
  /** Runs once the Running phase is over, before any pod is deleted (not part of either phase). */
  beforeDelete?: () => Promise<void>;
  log?: (line: string) => void;
}

/** Client-side timestamps of one pod (epoch ms). */
export interface PodTimeline {
  created?: number;
  /** Running first seen, before the delete phase began. */
  running?: number;
  /** Failed or Succeeded seen before Running was. */
  endedBeforeRunning?: number;
  /** Gone before the bench deleted it. */
  vanished?: number;
  deleteRequested?: number;
  gone?: number;
}

export interface ScenarioMeasurements {
  createToRunning: LatencySummary;
  deleteToGone: LatencySummary;
  /** Pods created per second (achieved, not requested). */
  createRate: number;
  /** Creates the API server refused or failed (the pod then does not exist). */
  createErrors: number;
  /** Pods seen Running before the delete phase, per second, first create to last Running. */
  runningThroughput: number;
  /** Pods gone per second, first delete to last gone. */
  deleteThroughput: number;
  /** Pods seen Running before the delete phase. */
  running: number;
  /** Created pods never Running that were still waiting (not Failed, not gone) when the cap ran out. */
  pendingAtCap: number;
  /** Created pods never Running that ended (Failed/Succeeded) or went away on their own: lost. */
  lost: number;
  gone: number;
  /** Created pods still there when the gone cap ran out. */
  notGoneAtCap: number;
  /** Times the bench's own watch had to list again (the API server closed it under load). */
  watchRelists: number;
  /** Phase boundaries (epoch ms): creates begin, the Running wait ends, deletes begin, the scenario ends. */
  phases: { start: number; runningEnd: number; deleteStart: number; end: number };
  timeline: Map<string, PodTimeline>;
}

const podBody = (name: string, options: ScenarioOptions): V1Pod => ({
  metadata: { name, namespace: options.namespace, labels: { app: 'bench', scenario: options.name } },
  spec: {
    nodeName: options.nodeName,
    tolerations: [{ operator: 'Exists' }],
    containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
    terminationGracePeriodSeconds: 30,
    ...options.podSpec,
  },
});

/** Runs `work` for each index at `rate` per second (or as fast as `concurrency` allows). */
export async function paced(
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

export const now = (): number => performance.timeOrigin + performance.now();

/** Resolves when `done()` is true, checked after every change, or when `capMs` has passed. */
function waitUntil(watch: PodWatch, done: () => boolean, capMs: number): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(finish, capMs);
    const unsubscribe = watch.onChange(() => {
      if (done()) finish();
    });
    function finish() {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    }
    if (done()) finish();
  });
}

/**
 * Creates `pods` pods bound to the node, waits until all run (seen through a watch) or the cap runs
 * out, deletes them all and waits until they are gone or the cap runs out, timing each pod on the
 * client's clock. Running is counted only until the delete phase begins.
 */
export async function runScenario(
  client: KubeClient,
  options: ScenarioOptions,
): Promise<ScenarioMeasurements> {
  const timeline = new Map<string, PodTimeline>();
  const names = Array.from({ length: options.pods }, (_, i) => `${options.name}-${i}`);
  for (const name of names) timeline.set(name, {});
  let deletePhase = false;
  let running = 0;
  let gone = 0;

  const watch = new PodWatch(client, options.namespace, `scenario=${options.name}`, options.log);
  watch.onPod((type, pod) => {
    const entry = timeline.get(pod.metadata?.name ?? '');
    if (!entry || entry.created === undefined) return;
    const t = now();
    if (type === 'DELETED') {
      if (entry.gone !== undefined) return;
      entry.gone = t;
      gone++;
      if (!deletePhase && entry.running === undefined) entry.vanished = t;
      return;
    }
    if (deletePhase || entry.running !== undefined) return;
    const phase = pod.status?.phase;
    if (phase === 'Running') {
      entry.running = t;
      running++;
    } else if ((phase === 'Failed' || phase === 'Succeeded') && entry.endedBeforeRunning === undefined) {
      entry.endedBeforeRunning = t;
    }
  });
  await watch.start();

  let createdSoFar = 0;
  const progress = setInterval(
    () =>
      options.onProgress?.({
        created: createdSoFar,
        running,
        gone,
        phase: deletePhase ? 'delete' : 'create',
      }),
    options.progressMs ?? 5_000,
  );
  progress.unref();
  const start = now();
  let createErrors = 0;
  await paced(options.pods, options.rate, options.concurrency, async i => {
    const name = names[i]!;
    const entry = timeline.get(name)!;
    entry.created = now();
    try {
      await client.requestJson('POST', `/api/v1/namespaces/${options.namespace}/pods`, {
        body: podBody(name, options),
      });
      createdSoFar++;
    } catch (err) {
      entry.created = undefined;
      if (createErrors++ === 0) options.log?.(`create of ${name} failed: ${errorMessage(err)}`);
    }
  });
  const createSeconds = (now() - start) / 1000;
  const created = options.pods - createErrors;
  await waitUntil(watch, () => running + countLost(timeline) >= created, options.runningCapMs);

  deletePhase = true;
  const runningEnd = now();
  const pendingAtCap = [...timeline.values()].filter(
    e => e.created !== undefined && e.running === undefined && !isLost(e),
  ).length;
  const lost = countLost(timeline);
  await options.beforeDelete?.();
  const deleteStart = now();
  await paced(options.pods, options.rate, options.concurrency, async i => {
    const entry = timeline.get(names[i]!)!;
    if (entry.created === undefined || entry.gone !== undefined) return;
    entry.deleteRequested = now();
    try {
      await client.requestJson('DELETE', `/api/v1/namespaces/${options.namespace}/pods/${names[i]}`);
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  });
  await waitUntil(watch, () => gone >= created, options.goneCapMs);
  const end = now();
  clearInterval(progress);
  await watch.stop();

  const entries = [...timeline.values()];
  const spans = (from: 'created' | 'deleteRequested', to: 'running' | 'gone') =>
    entries.filter(e => e[from] !== undefined && e[to] !== undefined).map(e => e[to]! - e[from]!);
  const extent = (from: 'created' | 'deleteRequested', to: 'running' | 'gone') => {
    const done = entries.filter(e => e[from] !== undefined && e[to] !== undefined);
    if (done.length === 0) return NaN;
    const first = Math.min(...entries.map(e => e[from] ?? Infinity));
    const last = Math.max(...done.map(e => e[to]!));
    return done.length / ((last - first) / 1000);
  };
  return {
    createToRunning: summarize(spans('created', 'running')),
    deleteToGone: summarize(spans('deleteRequested', 'gone')),
    createRate: created / createSeconds,
    createErrors,
    runningThroughput: extent('created', 'running'),
    deleteThroughput: extent('deleteRequested', 'gone'),
    running,
    pendingAtCap,
    lost,
    gone: entries.filter(e => e.deleteRequested !== undefined && e.gone !== undefined).length,
    notGoneAtCap: entries.filter(e => e.created !== undefined && e.gone === undefined).length,
    watchRelists: watch.relists,
    phases: { start, runningEnd, deleteStart, end },
    timeline,
  };
}

function isLost(entry: PodTimeline): boolean {
  return (
    entry.running === undefined && (entry.endedBeforeRunning !== undefined || entry.vanished !== undefined)
  );
}

function countLost(timeline: Map<string, PodTimeline>): number {
  let lost = 0;
  for (const entry of timeline.values()) if (entry.created !== undefined && isLost(entry)) lost++;
  return lost;
}
