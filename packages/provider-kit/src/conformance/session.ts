import type { V1Container, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { isNotFound } from '../errdefs/index.js';
import type { Provider } from '../provider.js';
import type { ConformanceOptions, ConformanceTimeouts, ConformanceWorkloads } from './types.js';

export const DEFAULT_TIMEOUTS: ConformanceTimeouts = {
  podRunningMs: 30_000,
  podExitMs: 30_000,
  checkMs: 90_000,
};

const DEFAULT_WORKLOADS: ConformanceWorkloads = {
  shell: (name, script) => ({ name, image: 'busybox:1.36', command: ['sh', '-c', script] }),
  echoServer: (name, port) => ({
    name,
    image: 'busybox:1.36',
    command: ['sh', '-c', `nc -lk -p ${port} -e cat || sleep 3600`],
    ports: [{ containerPort: port }],
  }),
};

const POLL_MS = 25;

/** A pod as a check describes it; the session fills in names, UID, namespace and the template. */
export interface PodShape {
  containers: V1Container[];
  initContainers?: V1Container[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  annotations?: Record<string, string>;
}

/**
 * One provider under test and everything checks share: pod construction, status polling, the
 * notification fan-out (notifyPods may be called only once per provider) and clean-up.
 */
export class ConformanceSession {
  readonly timeouts: ConformanceTimeouts;
  readonly workloads: ConformanceWorkloads;
  readonly namespace: string;
  private readonly listeners = new Set<(pod: V1Pod) => void>();
  private readonly created = new Map<string, V1Pod>();
  private readonly runId = randomUUID().slice(0, 6);
  private counter = 0;

  private constructor(
    readonly provider: Provider,
    readonly options: ConformanceOptions,
  ) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.workloads = { ...DEFAULT_WORKLOADS, ...options.workloads };
    this.namespace = options.namespace ?? 'vk-conformance';
    provider.notifyPods?.(pod => {
      for (const listener of this.listeners) listener(pod);
    });
  }

  static async start(options: ConformanceOptions): Promise<ConformanceSession> {
    return new ConformanceSession(await options.createProvider(), options);
  }

  /** Receives every notified pod until the returned function is called. */
  onNotify(listener: (pod: V1Pod) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A fresh, uniquely named pod (names are per run, so leftovers of an earlier run never clash). */
  pod(prefix: string, shape: PodShape): V1Pod {
    const name = `${prefix}-${this.runId}-${++this.counter}`;
    const pod: V1Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: this.namespace,
        uid: randomUUID(),
        labels: { 'app.kubernetes.io/part-of': 'vk-conformance' },
        ...(shape.annotations ? { annotations: shape.annotations } : {}),
        creationTimestamp: new Date(),
      },
      spec: {
        restartPolicy: shape.restartPolicy ?? 'Never',
        containers: shape.containers,
        ...(shape.initContainers ? { initContainers: shape.initContainers } : {}),
      },
    };
    return this.options.podTemplate ? this.options.podTemplate(pod) : pod;
  }

  shell(name: string, script: string): V1Container {
    return this.workloads.shell(name, script);
  }

  /** A signal for one provider call, aborted after `ms`. */
  callSignal(ms = this.timeouts.checkMs): AbortSignal {
    return AbortSignal.timeout(ms);
  }

  async create(pod: V1Pod): Promise<V1Pod> {
    this.created.set(uidOf(pod), pod);
    await this.provider.createPod(structuredClone(pod), { signal: this.callSignal() });
    return pod;
  }

  async delete(pod: V1Pod): Promise<void> {
    await this.provider.deletePod(structuredClone(pod), { signal: this.callSignal() });
    this.created.delete(uidOf(pod));
  }

  /** Polls getPodStatus until `accept` holds; the failure names what was awaited and the last status. */
  async waitFor(
    pod: V1Pod,
    description: string,
    accept: (status: V1PodStatus) => boolean,
    timeoutMs = this.timeouts.podRunningMs,
  ): Promise<V1PodStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: V1PodStatus | string;
    for (;;) {
      try {
        const status = await this.provider.getPodStatus(namespaceOf(pod), nameOf(pod), {
          signal: this.callSignal(),
        });
        if (accept(status)) return status;
        last = status;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        last = 'NotFound';
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${nameOf(pod)} to be ${description}; last: ${describe(last)}`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  waitForRunning(pod: V1Pod): Promise<V1PodStatus> {
    return this.waitFor(pod, 'Running with every container running', status => {
      const containers = status.containerStatuses ?? [];
      return status.phase === 'Running' && containers.length > 0 && containers.every(c => c.state?.running);
    });
  }

  waitForPhase(pod: V1Pod, phases: string[]): Promise<V1PodStatus> {
    return this.waitFor(
      pod,
      phases.join(' or '),
      status => phases.includes(status.phase ?? ''),
      this.timeouts.podRunningMs + this.timeouts.podExitMs,
    );
  }

  /** Polls until getPodStatus answers NotFound (a backend may take a while to forget a pod). */
  async waitForGone(pod: V1Pod, timeoutMs = this.timeouts.podExitMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.provider.getPodStatus(namespaceOf(pod), nameOf(pod), { signal: this.callSignal() });
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (Date.now() > deadline)
        throw new Error(`${nameOf(pod)} still exists ${timeoutMs} ms after deletePod`);
      await sleep(POLL_MS);
    }
  }

  /** Deletes what checks created and did not delete themselves. */
  async cleanup(): Promise<void> {
    const leftovers = [...this.created.values()];
    this.created.clear();
    await Promise.all(
      leftovers.map(async pod => {
        try {
          await this.provider.deletePod(structuredClone(pod), { signal: this.callSignal() });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }),
    );
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.cleanup().catch(() => undefined);
    await this.provider.close?.();
  }
}

export function nameOf(pod: V1Pod): string {
  return pod.metadata?.name ?? '';
}

export function namespaceOf(pod: V1Pod): string {
  return pod.metadata?.namespace ?? '';
}

export function uidOf(pod: V1Pod): string {
  return pod.metadata?.uid ?? '';
}

function describe(status: V1PodStatus | string): string {
  if (typeof status === 'string') return status;
  const containers = (status.containerStatuses ?? []).map(
    c => `${c.name}:${Object.keys(c.state ?? {}).join('')}`,
  );
  return `phase=${status.phase} containers=[${containers.join(', ')}]`;
}
