import type { V1Pod } from '@kubernetes/client-node';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { inSpan, isNotFound, SpanAttribute, type Logger } from '@vkubelet/provider-kit';

import { coreTracer } from '../tracing/tracer.js';

import type { ProviderCalls } from './provider-calls.js';
import { lostPodStatus } from './status.js';

export interface StatusPollerOptions {
  calls: ProviderCalls;
  /** The API pods to poll now (non-terminal, held by the provider). */
  pods: () => V1Pod[];
  /** True when core deleted the pod in the provider, so NotFound is expected. */
  deletedInProvider: (pod: V1Pod) => boolean;
  report: (pod: V1Pod) => void;
  intervalMs: number;
  concurrency: number;
  logger: Logger;
}

/** A pod the provider does not know yet is given this long before it counts as lost (upstream: 1 min). */
const NOT_FOUND_GRACE_MS = 60_000;

/**
 * Status for providers without notifyPods: every interval, getPodStatus for each pod, `concurrency`
 * at a time (upstream polls serially, which is O(pods x latency) per round).
 */
export async function pollStatuses(options: StatusPollerOptions, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const started = Date.now();
    await pollOnce(options, signal);
    const wait = Math.max(0, options.intervalMs - (Date.now() - started));
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, wait);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}

/** One round over every pod: a trace of its own, with a getPodStatus span per pod. */
async function pollOnce(options: StatusPollerOptions, signal: AbortSignal): Promise<void> {
  const pending = options.pods();
  if (pending.length === 0) return;
  const attributes = { [SpanAttribute.POD_COUNT]: pending.length };
  await inSpan(coreTracer, 'poll pod statuses', { parent: ROOT_CONTEXT, attributes }, () =>
    pollAll(options, pending, signal),
  );
}

async function pollAll(options: StatusPollerOptions, pending: V1Pod[], signal: AbortSignal): Promise<void> {
  const worker = async (): Promise<void> => {
    for (let pod = pending.shift(); pod && !signal.aborted; pod = pending.shift()) {
      await pollPod(options, pod, signal);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
}

async function pollPod(options: StatusPollerOptions, pod: V1Pod, signal: AbortSignal): Promise<void> {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  try {
    const status = await options.calls.getStatus(namespace, name, signal);
    options.report({ metadata: pod.metadata, status });
  } catch (err) {
    if (signal.aborted) return;
    if (!isNotFound(err)) {
      options.logger.warn('polling pod status failed', { pod: `${namespace}/${name}`, err: String(err) });
      return;
    }
    if (options.deletedInProvider(pod)) return;
    const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : 0;
    if (pod.status?.phase !== 'Running' && Date.now() - created <= NOT_FOUND_GRACE_MS) return;
    options.report({ metadata: pod.metadata, status: lostPodStatus(pod, new Date()) });
  }
}
