import { context, trace, type Context } from '@opentelemetry/api';

/**
 * The trace a pod's later work joins: the sync that last changed the pod in the provider. Its status
 * writes (from the provider's reports) and its force delete become spans of that trace, so one trace
 * shows a pod from the sync to the status that says it started (or, for a delete, to its removal).
 */
export interface PodTrace {
  context: Context;
  /** `started`: until a status write shows the pod out of Pending; `removed`: until the pod is gone. */
  until: 'started' | 'removed';
}

/** The active trace as a PodTrace; undefined without one (no SDK registered: nothing is kept). */
export function activePodTrace(until: PodTrace['until']): PodTrace | undefined {
  const active = context.active();
  return trace.getSpanContext(active) ? { context: active, until } : undefined;
}
