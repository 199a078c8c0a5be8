import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import {
  copyApiObject,
  errorKind,
  noopMeter,
  type MetricCounter,
  type MetricHistogram,
  type MetricMeter,
  type Provider,
} from '@vkubelet/provider-kit';

import { withDeadline } from '../util/with-deadline.js';

export type ProviderOperation = 'create' | 'update' | 'delete' | 'get' | 'getStatus' | 'list';

/**
 * Every provider call of the pod controller: a timeout joined to the caller's signal, latency and
 * errors by operation. Provider errors pass through unchanged.
 */
export class ProviderCalls {
  readonly #latency: MetricHistogram;
  readonly #errors: MetricCounter;

  constructor(
    private readonly provider: Provider,
    private readonly timeoutMs: number,
    meter: MetricMeter = noopMeter,
  ) {
    this.#latency = meter.histogram(
      'vkubelet_provider_call_duration_seconds',
      'Duration of pod calls to the provider',
      ['operation'],
      [0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120],
    );
    this.#errors = meter.counter('vkubelet_provider_call_errors_total', 'Failed pod calls to the provider', [
      'operation',
      'kind',
    ]);
  }

  async #call<T>(
    operation: ProviderOperation,
    signal: AbortSignal,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    // A stopping agent (or a standby that lost the leader lease) starts no provider call at all.
    signal.throwIfAborted();
    const started = performance.now();
    try {
      return await withDeadline(signal, this.timeoutMs, run);
    } catch (err) {
      this.#errors.add(1, { operation, kind: errorKind(err) ?? 'Unknown' });
      throw err;
    } finally {
      this.#latency.observe((performance.now() - started) / 1000, { operation });
    }
  }

  create(pod: V1Pod, signal: AbortSignal): Promise<void> {
    return this.#call('create', signal, s => this.provider.createPod(copyApiObject(pod), { signal: s }));
  }
  update(pod: V1Pod, signal: AbortSignal): Promise<void> {
    return this.#call('update', signal, s => this.provider.updatePod(copyApiObject(pod), { signal: s }));
  }
  delete(pod: V1Pod, signal: AbortSignal): Promise<void> {
    return this.#call('delete', signal, s => this.provider.deletePod(copyApiObject(pod), { signal: s }));
  }
  get(namespace: string, name: string, signal: AbortSignal): Promise<V1Pod> {
    return this.#call('get', signal, s => this.provider.getPod(namespace, name, { signal: s }));
  }
  getStatus(namespace: string, name: string, signal: AbortSignal): Promise<V1PodStatus> {
    return this.#call('getStatus', signal, s => this.provider.getPodStatus(namespace, name, { signal: s }));
  }
  list(signal: AbortSignal): Promise<V1Pod[]> {
    return this.#call('list', signal, s => this.provider.getPods({ signal: s }));
  }
}
