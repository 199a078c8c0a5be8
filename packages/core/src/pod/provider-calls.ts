import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import {
  copyApiObject,
  errorKind,
  inSpan,
  noopMeter,
  podAttributes,
  type MetricCounter,
  type MetricHistogram,
  type MetricMeter,
  type Provider,
} from '@vkubelet/provider-kit';

import { CoreAttribute, coreTracer } from '../tracing/tracer.js';
import { withDeadline } from '../util/with-deadline.js';

export type ProviderOperation = 'create' | 'update' | 'delete' | 'get' | 'getStatus' | 'list';

/** The Provider method behind each operation, as spans name it. */
const METHODS: Record<ProviderOperation, string> = {
  create: 'createPod',
  update: 'updatePod',
  delete: 'deletePod',
  get: 'getPod',
  getStatus: 'getPodStatus',
  list: 'getPods',
};

/**
 * Every provider call of the pod controller: a timeout joined to the caller's signal, latency and
 * errors by operation, and a span (`provider createPod`, ...) whose children are the provider's
 * backend calls. Provider errors pass through unchanged.
 */
export class ProviderCalls {
  private readonly latency: MetricHistogram;
  private readonly errors: MetricCounter;

  constructor(
    private readonly provider: Provider,
    private readonly timeoutMs: number,
    meter: MetricMeter = noopMeter,
  ) {
    this.latency = meter.histogram(
      'vkubelet_provider_call_duration_seconds',
      'Duration of pod calls to the provider',
      ['operation'],
      [0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120],
    );
    this.errors = meter.counter('vkubelet_provider_call_errors_total', 'Failed pod calls to the provider', [
      'operation',
      'kind',
    ]);
  }

  private async call<T>(
    operation: ProviderOperation,
    pod: Pick<V1Pod, 'metadata'> | undefined,
    signal: AbortSignal,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    // A stopping agent (or a standby that lost the leader lease) starts no provider call at all.
    signal.throwIfAborted();
    const started = performance.now();
    const method = METHODS[operation];
    try {
      return await inSpan(coreTracer, `provider ${method}`, {}, span => {
        if (span.isRecording()) {
          span.setAttributes(podAttributes(pod));
          span.setAttribute(CoreAttribute.PROVIDER_OPERATION, method);
        }
        return withDeadline(signal, this.timeoutMs, run);
      });
    } catch (err) {
      this.errors.add(1, { operation, kind: errorKind(err) ?? 'Unknown' });
      throw err;
    } finally {
      this.latency.observe((performance.now() - started) / 1000, { operation });
    }
  }

  create(pod: V1Pod, signal: AbortSignal): Promise<void> {
    return this.call('create', pod, signal, s => this.provider.createPod(copyApiObject(pod), { signal: s }));
  }
  update(pod: V1Pod, signal: AbortSignal): Promise<void> {
    return this.call('update', pod, signal, s => this.provider.updatePod(copyApiObject(pod), { signal: s }));
  }
  delete(pod: V1Pod, signal: AbortSignal): Promise<void> {
    return this.call('delete', pod, signal, s => this.provider.deletePod(copyApiObject(pod), { signal: s }));
  }
  get(namespace: string, name: string, signal: AbortSignal): Promise<V1Pod> {
    return this.call('get', { metadata: { namespace, name } }, signal, s =>
      this.provider.getPod(namespace, name, { signal: s }),
    );
  }
  getStatus(namespace: string, name: string, signal: AbortSignal): Promise<V1PodStatus> {
    return this.call('getStatus', { metadata: { namespace, name } }, signal, s =>
      this.provider.getPodStatus(namespace, name, { signal: s }),
    );
  }
  list(signal: AbortSignal): Promise<V1Pod[]> {
    return this.call('list', undefined, signal, s => this.provider.getPods({ signal: s }));
  }
}
