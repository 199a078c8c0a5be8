import type { ContainerGroup, Event as AciEvent } from '@azure/arm-containerinstance';

/** An ACI event to record on the pod as a Kubernetes event. */
export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  note: string;
}

/** Every event of a group's instance view, with the container it is about (none for the group's own). */
function allEvents(group: ContainerGroup): Array<{ container?: string; event: AciEvent }> {
  const events: Array<{ container?: string; event: AciEvent }> = (group.instanceView?.events ?? []).map(
    event => ({
      event,
    }),
  );
  for (const container of [...(group.initContainers ?? []), ...group.containers]) {
    for (const event of container.instanceView?.events ?? [])
      events.push({ container: container.name, event });
  }
  return events;
}

function eventKey(container: string | undefined, event: AciEvent): string {
  return `${container ?? ''}\u0000${event.name ?? ''}\u0000${event.message ?? ''}`;
}

/** The counts of a group's events, as seen now: what `newEvents` compares against next time. */
export function eventCounts(group: ContainerGroup): Map<string, number> {
  return new Map(
    allEvents(group).map(({ container, event }) => [eventKey(container, event), event.count ?? 1]),
  );
}

/**
 * The events ACI recorded since `seen` (an event whose count went up happened again), oldest first,
 * as Kubernetes events: the event's name is the reason, the container leads the note. The event
 * recorder aggregates repeats into one Event's series, as the kubelet's does.
 */
export function newEvents(group: ContainerGroup, seen: ReadonlyMap<string, number>): PodEvent[] {
  const fresh: Array<{ at: number; event: PodEvent; repeats: number }> = [];
  for (const { container, event } of allEvents(group)) {
    const count = event.count ?? 1;
    const before = seen.get(eventKey(container, event)) ?? 0;
    if (count <= before) continue;
    const message = event.message ?? '';
    fresh.push({
      at: event.lastTimestamp?.getTime() ?? 0,
      repeats: Math.min(count - before, 10),
      event: {
        type: event.type === 'Warning' ? 'Warning' : 'Normal',
        reason: event.name ?? 'ContainerInstanceEvent',
        note: container ? `container ${container}: ${message}` : message,
      },
    });
  }
  fresh.sort((a, b) => a.at - b.at);
  return fresh.flatMap(({ event, repeats }) => Array.from({ length: repeats }, () => event));
}
