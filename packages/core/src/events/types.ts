import type { V1Pod } from '@kubernetes/client-node';

export type EventType = 'Normal' | 'Warning';

/**
 * Where pod events go. Recording never blocks and never throws: events are best-effort
 * diagnostics, and a failing event write must not fail the pod operation that produced it.
 */
export interface PodEventRecorder {
  event(regarding: V1Pod, type: EventType, reason: string, note: string): void;
}
