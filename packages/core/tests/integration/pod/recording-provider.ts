import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { NotFoundError, type CallOptions, type Provider } from '@vkubelet/provider-kit';

export interface ProviderCall {
  op: 'create' | 'update' | 'delete';
  key: string;
  uid: string;
  pod: V1Pod;
}

const keyOf = (pod: V1Pod): string => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

/**
 * A provider that runs pods instantly (Running, pod IP 10.1.0.7) and records every create, update
 * and delete. Errors queued in `failNext` are thrown by the next calls of that operation. Without
 * notifyPods, so core polls it; see NotifyingProvider.
 */
export class RecordingProvider implements Provider {
  readonly calls: ProviderCall[] = [];
  readonly pods = new Map<string, V1Pod>();
  readonly failNext: Partial<Record<ProviderCall['op'], Error[]>> = {};
  protected notify: ((pod: V1Pod) => void) | undefined;

  callsFor(name: string, op?: ProviderCall['op']): ProviderCall[] {
    return this.calls.filter(call => call.key.endsWith(`/${name}`) && (op === undefined || call.op === op));
  }

  private fail(op: ProviderCall['op']): void {
    const err = this.failNext[op]?.shift();
    if (err) throw err;
  }

  async createPod(pod: V1Pod, _options: CallOptions): Promise<void> {
    this.fail('create');
    this.calls.push({ op: 'create', key: keyOf(pod), uid: pod.metadata?.uid ?? '', pod });
    const now = new Date();
    const running: V1Pod = {
      ...pod,
      status: {
        phase: 'Running',
        podIP: '10.1.0.7',
        podIPs: [{ ip: '10.1.0.7' }],
        hostIP: '192.168.0.10',
        startTime: now,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
        containerStatuses: (pod.spec?.containers ?? []).map(container => ({
          name: container.name,
          image: container.image ?? '',
          imageID: '',
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: now } },
        })),
      },
    };
    this.pods.set(keyOf(pod), running);
    this.notify?.(structuredClone(running));
  }

  async updatePod(pod: V1Pod, _options: CallOptions): Promise<void> {
    this.fail('update');
    this.calls.push({ op: 'update', key: keyOf(pod), uid: pod.metadata?.uid ?? '', pod });
    const existing = this.pods.get(keyOf(pod));
    this.pods.set(keyOf(pod), { ...pod, status: existing?.status });
  }

  async deletePod(pod: V1Pod, _options: CallOptions): Promise<void> {
    this.fail('delete');
    this.calls.push({ op: 'delete', key: keyOf(pod), uid: pod.metadata?.uid ?? '', pod });
    const existing = this.pods.get(keyOf(pod));
    if (!existing) throw new NotFoundError(`pod ${keyOf(pod)} not found`);
    this.pods.delete(keyOf(pod));
    const now = new Date();
    this.notify?.({
      ...existing,
      status: {
        ...existing.status,
        phase: 'Succeeded',
        containerStatuses: (existing.status?.containerStatuses ?? []).map(container => ({
          ...container,
          ready: false,
          state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: now } },
        })),
      },
    });
  }

  async getPod(namespace: string, name: string): Promise<V1Pod> {
    const pod = this.pods.get(`${namespace}/${name}`);
    if (!pod) throw new NotFoundError(`pod ${namespace}/${name} not found`);
    return structuredClone(pod);
  }

  async getPodStatus(namespace: string, name: string): Promise<V1PodStatus> {
    return (await this.getPod(namespace, name)).status ?? {};
  }

  async getPods(): Promise<V1Pod[]> {
    return [...this.pods.values()].map(pod => structuredClone(pod));
  }
}

/** The same provider, pushing status changes through notifyPods. */
export class NotifyingProvider extends RecordingProvider {
  notifyPods(callback: (pod: V1Pod) => void): void {
    this.notify = callback;
  }

  /** Pushes a status for a pod it holds, as a provider whose backend changed would. */
  report(pod: V1Pod): void {
    this.pods.set(keyOf(pod), pod);
    this.notify?.(structuredClone(pod));
  }
}
