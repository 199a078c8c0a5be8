import { trace, type Tracer } from '@opentelemetry/api';

import { CORE_VERSION } from '../agent/version.js';

/**
 * The tracer of core's spans. Through the OpenTelemetry API only: until an SDK is registered
 * (`startTracing`, or an embedding application's own) every span is a no-op.
 */
export const coreTracer: Tracer = trace.getTracer('@vkubelet/core', CORE_VERSION);

/** vkubelet's own span attributes (the semantic conventions' are in provider-kit's `SpanAttribute`). */
export const CoreAttribute = {
  /** The work queue a span's item came from: pod-sync, pod-status, pod-force-delete. */
  QUEUE_NAME: 'vkubelet.queue.name',
  /** Milliseconds the item waited in its queue past the moment it was due. */
  QUEUE_WAIT_MS: 'vkubelet.queue.wait_ms',
  /** 1 for a first run, n + 1 after n failures in a row. */
  QUEUE_ATTEMPT: 'vkubelet.queue.attempt',
  /** The phase a status write reports (Pending, Running, ...). */
  POD_PHASE: 'vkubelet.pod.phase',
  /** The provider operation of a provider call span (createPod, deletePod, ...). */
  PROVIDER_OPERATION: 'vkubelet.provider.operation',
  /** The streaming protocol a kubelet API request was upgraded to (SPDY/3.1, websocket). */
  STREAM_PROTOCOL: 'vkubelet.stream.protocol',
} as const;
