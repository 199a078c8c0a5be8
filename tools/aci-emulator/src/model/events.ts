/** An event in a container's or a group's instance view (`Event` in the definition). */
export interface AciEvent {
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  name: string;
  message: string;
  type: 'Normal' | 'Warning';
}

/** ACI reports event times in whole seconds. */
function eventTime(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

/** Events of one container or group; a repeat of the same event counts up, as in ACI. */
export class EventLog {
  private readonly events = new Map<string, AciEvent>();

  record(name: string, message: string, type: AciEvent['type'] = 'Normal', at = new Date()): void {
    const key = `${name}\u0000${message}`;
    const existing = this.events.get(key);
    if (existing) {
      existing.count++;
      existing.lastTimestamp = eventTime(at);
      return;
    }
    this.events.set(key, {
      count: 1,
      firstTimestamp: eventTime(at),
      lastTimestamp: eventTime(at),
      name,
      message,
      type,
    });
  }

  list(): AciEvent[] {
    return [...this.events.values()].map(event => ({ ...event }));
  }
}
