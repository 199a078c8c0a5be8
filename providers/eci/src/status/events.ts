import type { PodEventType } from '@vkubelet/provider-kit';

import type { EciEvent } from '../client/wire.js';

/** A group event as a Kubernetes event on its pod. */
export interface PodEventNote {
  type: PodEventType;
  reason: string;
  note: string;
}

/** Repeats of one event re-emitted per read at most (ECI counts a crash loop's back-offs into one). */
const MAX_REPEATS = 5;

/** An event's identity: ECI counts repeats up (Count, LastTimestamp) on the same entry. */
function eventKey(event: EciEvent): string {
  return JSON.stringify([event.Type, event.Reason ?? event.Name, event.Message, event.FirstTimestamp]);
}

/**
 * The events of a group that were not in its previous description, or that happened again since
 * (a higher Count), oldest first, as Kubernetes events: ECI's type, reason (`Reason`, or `Name` in
 * answers without it) and message. `previous` undefined: every event is new (a group this process
 * created); for a group adopted after a restart the first description is the baseline instead.
 */
export function newGroupEvents(
  previous: readonly EciEvent[] | undefined,
  next: readonly EciEvent[],
): PodEventNote[] {
  const seen = new Map((previous ?? []).map(event => [eventKey(event), event.Count ?? 1]));
  const notes: PodEventNote[] = [];
  for (const event of next) {
    const before = seen.get(eventKey(event)) ?? 0;
    const repeats = Math.max(0, (event.Count ?? 1) - before);
    const note: PodEventNote = {
      type: event.Type === 'Warning' ? 'Warning' : 'Normal',
      reason: event.Reason || event.Name || 'ContainerGroupEvent',
      note: event.Message ?? '',
    };
    // Each repeat once (the recorder counts them into one Event's series), a burst cut short.
    for (let i = 0; i < Math.min(repeats, MAX_REPEATS); i++) notes.push(note);
  }
  return notes;
}
