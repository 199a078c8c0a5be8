// eslint-disable-next-line @nx/enforce-module-boundaries -- written as a provider package would import it
import {
  NotFoundError,
  type Provider,
  type ProviderContext,
  type ProviderPlugin,
} from '@vkubelet/provider-kit';
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';

/**
 * The smallest useful provider: its "backend" is a Map, every pod runs as soon as it is created and
 * until it is deleted. A real provider calls its backend's API where this one touches the Map.
 */
export class InMemoryProvider implements Provider {
  private readonly pods = new Map<string, V1Pod>();
  private nextIP = 2;
  private notify: (pod: V1Pod) => void = () => {};

  constructor(private readonly context: Pick<ProviderContext, 'internalIP'>) {}

  // Pushing status changes spares core from polling getPodStatus.
  notifyPods(callback: (pod: V1Pod) => void): void {
    this.notify = callback;
  }

  async createPod(pod: V1Pod): Promise<void> {
    const key = keyOf(pod);
    // Idempotent by UID: core retries, and a restarted agent creates every pod again.
    if (this.pods.get(key)?.metadata?.uid === pod.metadata?.uid) return;
    const now = new Date();
    const status: V1PodStatus = {
      phase: 'Running',
      startTime: now,
      hostIP: this.context.internalIP,
      podIP: `10.200.0.${this.nextIP++}`,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(type => ({
        type,
        status: 'True',
        lastTransitionTime: now,
      })),
      containerStatuses: (pod.spec?.containers ?? []).map(container => ({
        name: container.name,
        image: container.image ?? '',
        imageID: '',
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    };
    const running = { ...structuredClone(pod), status };
    this.pods.set(key, running);
    this.notify(structuredClone(running));
  }

  async updatePod(pod: V1Pod): Promise<void> {
    const current = this.find(pod.metadata?.namespace, pod.metadata?.name);
    current.metadata = { ...pod.metadata };
    current.spec = structuredClone(pod.spec);
  }

  async deletePod(pod: V1Pod): Promise<void> {
    const current = this.find(pod.metadata?.namespace, pod.metadata?.name);
    this.pods.delete(keyOf(pod));
    // A notifying provider reports the terminal status of a deleted pod.
    this.notify({ ...structuredClone(current), status: { ...current.status, phase: 'Succeeded' } });
  }

  async getPod(namespace: string, name: string): Promise<V1Pod> {
    return structuredClone(this.find(namespace, name));
  }

  async getPodStatus(namespace: string, name: string): Promise<V1PodStatus> {
    return structuredClone(this.find(namespace, name).status ?? {});
  }

  async getPods(): Promise<V1Pod[]> {
    return [...this.pods.values()].map(pod => structuredClone(pod));
  }

  private find(namespace = '', name = ''): V1Pod {
    const pod = this.pods.get(`${namespace}/${name}`);
    // NotFoundError tells core the pod is gone (HTTP 404, no retry).
    if (!pod) throw new NotFoundError(`pod ${namespace}/${name} not found`);
    return pod;
  }
}

// `namespace/name`: a `/` cannot occur in either, so two pods never share a key.
function keyOf(pod: V1Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

/** What `virtual-kubelet --provider in-memory` loads from the package's `plugin` export. */
export const plugin: ProviderPlugin = {
  name: 'in-memory',
  create: async context => new InMemoryProvider(context),
};
