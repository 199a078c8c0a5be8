import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '@vkubelet/core';

import type { SoakBackend } from './backend/types.js';
import type { PodHistoryRecorder } from './history.js';
import type { Rng } from './random.js';

export const KIND_LABEL = 'soak.vkubelet.io/kind';

/**
 * long: runs until deleted (some are, most stay to the end); short: deleted seconds after it was
 * created; job: runs a few seconds and succeeds (restartPolicy Never), then is left or deleted.
 */
export type PodKind = 'long' | 'short' | 'job';

export interface WorkloadOptions {
  client: KubeClient;
  history: PodHistoryRecorder;
  /** What each kind of pod runs. */
  backend: Pick<SoakBackend, 'podTemplate'>;
  nodeName: string;
  namespace: string;
  rng: Rng;
  /** Pods created per second. */
  podsPerSecond: number;
  log: (line: string) => void;
}

interface Live {
  name: string;
  uid: string;
  kind: PodKind;
  /** When the soak deletes it (epoch ms), if it does. */
  deleteAt?: number;
}

/**
 * A steady churn of pods bound to the node: creates at a fixed rate, label updates of running pods,
 * and deletes (graceful with 0-5 s, or forced) of short-lived pods and some long-lived ones. Every
 * request goes straight to the API server as an admin and is retried while the API server is down;
 * a delete names the UID (precondition), so only the pod the soak means is deleted.
 */
export class Workload {
  readonly counts = { created: 0, updated: 0, deleted: 0, failedRequests: 0 };
  private readonly live = new Map<string, Live>();
  private sequence = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: WorkloadOptions) {}

  start(): void {
    this.loop = this.run();
  }

  /** Stops creating, updating and deleting; resolves when the last request has settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const { rng, podsPerSecond } = this.options;
    const tickMs = 250;
    let budget = 0;
    const inFlight = new Set<Promise<void>>();
    const track = (work: Promise<void>): void => {
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    };
    while (!this.stopped) {
      budget += (podsPerSecond * tickMs) / 1000;
      while (budget >= 1) {
        budget -= 1;
        track(this.create());
      }
      const now = Date.now();
      for (const pod of this.live.values()) {
        if (pod.deleteAt !== undefined && pod.deleteAt <= now) {
          pod.deleteAt = undefined;
          track(this.delete(pod));
        }
      }
      // About one label update per second across the running long-lived pods.
      if (rng.chance(tickMs / 1000)) {
        const candidates = [...this.live.values()].filter(pod => pod.kind === 'long');
        if (candidates.length > 0) track(this.update(rng.pick(candidates)));
      }
      await new Promise(resolve => setTimeout(resolve, tickMs));
    }
    await Promise.all(inFlight);
  }

  private async create(): Promise<void> {
    const { rng, nodeName, namespace, client, history } = this.options;
    const kind = rng.weighted<PodKind>({ long: 4, short: 4, job: 2 });
    const name = `soak-${kind}-${++this.sequence}`;
    const template = this.options.backend.podTemplate(kind, rng);
    const manifest: V1Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        labels: { [KIND_LABEL]: kind },
        ...(template.annotations ? { annotations: template.annotations } : {}),
      },
      spec: {
        nodeName,
        automountServiceAccountToken: false,
        restartPolicy: kind === 'job' ? 'Never' : 'Always',
        tolerations: [{ operator: 'Exists' }],
        containers: template.containers,
      },
    };
    const created = await this.retry(`create ${name}`, () =>
      client.requestJson<V1Pod>('POST', `/api/v1/namespaces/${namespace}/pods`, { body: manifest }),
    );
    if (!created?.metadata?.uid) return;
    this.counts.created += 1;
    history.created(created);
    const live: Live = { name, uid: created.metadata.uid, kind };
    if (kind === 'short') live.deleteAt = Date.now() + rng.int(2_000, 20_000);
    else if (kind === 'long' && rng.chance(0.3)) live.deleteAt = Date.now() + rng.int(10_000, 90_000);
    else if (kind === 'job' && rng.chance(0.5)) live.deleteAt = Date.now() + rng.int(5_000, 30_000);
    this.live.set(name, live);
  }

  private async update(pod: Live): Promise<void> {
    const { client, namespace, rng } = this.options;
    const patch = {
      metadata: { uid: pod.uid, labels: { 'soak.vkubelet.io/revision': String(rng.int(1, 1e6)) } },
    };
    const done = await this.retry(
      `update ${pod.name}`,
      () =>
        client.patch(`/api/v1/namespaces/${namespace}/pods/${pod.name}`, patch, 'strategic').then(() => true),
      3,
      false,
    );
    if (done) this.counts.updated += 1;
  }

  private async delete(pod: Live): Promise<void> {
    const { client, namespace, rng, history } = this.options;
    const gracePeriodSeconds = rng.pick([0, 1, 2, 5]);
    this.live.delete(pod.name);
    history.deletionRequested(pod.uid, Date.now());
    const done = await this.retry(`delete ${pod.name}`, () =>
      client
        .requestJson('DELETE', `/api/v1/namespaces/${namespace}/pods/${pod.name}`, {
          body: {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            gracePeriodSeconds,
            preconditions: { uid: pod.uid },
          },
        })
        .then(() => true),
    );
    if (done) this.counts.deleted += 1;
  }

  /**
   * Runs `request` until it succeeds or answers 404/409 (gone, or another pod of that name now);
   * connection failures and 5xx (the API server restarting, etcd paused) are retried.
   */
  private async retry<T>(
    what: string,
    request: () => Promise<T>,
    attempts = 60,
    reportGivingUp = true,
  ): Promise<T | undefined> {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await request();
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code === 404 || code === 409 || code === 422) return undefined;
        this.counts.failedRequests += 1;
        if (attempt === attempts) {
          if (reportGivingUp) this.options.log(`giving up on ${what}: ${String(err)}`);
          return undefined;
        }
        await new Promise(resolve => setTimeout(resolve, 500));
      }
    }
    return undefined;
  }
}
