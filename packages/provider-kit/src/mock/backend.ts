import type { V1Pod } from '@kubernetes/client-node';

import type { PodRuntime } from './pod-runtime.js';

export type PodListener = (pod: V1Pod) => void;

/**
 * The mock's "cloud": the pods that run, independent of any provider instance. Give two
 * MockProviders the same backend and the second finds the pods the first started, which is how
 * tests simulate an agent restart. Pods are keyed by `namespace/name` (a `/` cannot occur in either,
 * so unlike upstream's `ns-name` keys two pods never collide).
 */
export class MockBackend {
  readonly startTime = new Date();
  private readonly pods = new Map<string, PodRuntime>();
  private readonly listeners = new Set<PodListener>();
  private ipCounter = 0;

  static key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  /** @internal */
  get(namespace: string, name: string): PodRuntime | undefined {
    return this.pods.get(MockBackend.key(namespace, name));
  }

  /** @internal */
  list(): PodRuntime[] {
    return [...this.pods.values()];
  }

  /** @internal */
  add(runtime: PodRuntime): void {
    const metadata = runtime.pod.metadata;
    this.pods.set(MockBackend.key(metadata?.namespace ?? '', metadata?.name ?? ''), runtime);
  }

  /**
   * Forgets a pod; the caller has stopped it.
   * @internal
   */
  remove(runtime: PodRuntime): void {
    const metadata = runtime.pod.metadata;
    const key = MockBackend.key(metadata?.namespace ?? '', metadata?.name ?? '');
    if (this.pods.get(key) === runtime) this.pods.delete(key);
  }

  /** The next pod IP: 10.0.0.0/8 counted up from 10.1.0.1, deterministic per backend. */
  allocatePodIP(): string {
    const n = (1 << 16) + 1 + this.ipCounter++;
    return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }

  subscribe(listener: PodListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(pod: V1Pod): void {
    for (const listener of this.listeners) {
      try {
        listener(pod);
      } catch {
        // A listener's failure must not stop the others or the pod's life.
      }
    }
  }

  /** What the backend still holds, one `pod/<ns>/<name>/<uid>` entry per pod (for leak checks). */
  listResources(): string[] {
    return this.list().map(runtime => {
      const metadata = runtime.pod.metadata;
      return `pod/${metadata?.namespace}/${metadata?.name}/${runtime.uid}`;
    });
  }

  /** Stops every pod without telling anyone: the end of a test, not a pod deletion. */
  close(): void {
    this.listeners.clear();
    for (const runtime of this.pods.values()) runtime.stop();
    this.pods.clear();
  }
}
