import type { EventsV1Api, EventsV1Event } from '@kubernetes/client-node';

/** Writes events.k8s.io/v1 Events; the recorder owns naming, aggregation and pacing. */
export interface EventSink {
  create(namespace: string, event: EventsV1Event): Promise<EventsV1Event>;
  /** Replaces an event this recorder created (to advance its series). */
  replace(namespace: string, name: string, event: EventsV1Event): Promise<EventsV1Event>;
}

/** An EventSink over client-node's typed events.k8s.io/v1 API. */
export function eventsApiSink(api: EventsV1Api): EventSink {
  return {
    create: (namespace, body) => api.createNamespacedEvent({ namespace, body }),
    replace: (namespace, name, body) => api.replaceNamespacedEvent({ namespace, name, body }),
  };
}
