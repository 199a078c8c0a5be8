import type { EventsV1Event } from '@kubernetes/client-node';

import type { KubeClient } from '../kube/client.js';

/**
 * An events.k8s.io/v1 Event as JSON on the wire: its MicroTime fields are RFC 3339 strings with
 * microseconds (client-node types them as its V1MicroTime class, whose code we do not load).
 */
export type EventObject = Omit<EventsV1Event, 'eventTime' | 'series'> & {
  eventTime: string;
  series?: { count: number; lastObservedTime: string };
};

/** Writes events.k8s.io/v1 Events; the recorder owns naming, aggregation and pacing. */
export interface EventSink {
  create(namespace: string, event: EventObject): Promise<void>;
  /** Replaces an event this recorder created (to advance its series). */
  replace(namespace: string, name: string, event: EventObject): Promise<EventObject>;
}

/** An EventSink writing through core's KubeClient. */
export function eventsApiSink(client: Pick<KubeClient, 'requestJson' | 'write'>): EventSink {
  const collection = (namespace: string) =>
    `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events`;
  return {
    create: (namespace, body) => client.write('POST', collection(namespace), { body }),
    replace: (namespace, name, body) =>
      client.requestJson<EventObject>('PUT', `${collection(namespace)}/${encodeURIComponent(name)}`, {
        body,
      }),
  };
}
