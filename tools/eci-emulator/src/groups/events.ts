import { randomBytes } from 'node:crypto';

import { eciTime } from './time.js';

export interface GroupEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** The k8s-style event name, `<group name>.<hex>`. */
  name: string;
  count: number;
  firstTimestamp: Date;
  lastTimestamp: Date;
}

/** ECI returns at most the 50 latest events of a group. */
const MAX_EVENTS = 50;

/**
 * The events of one group. A repeat of the latest event with the same reason and message counts up
 * (Count, LastTimestamp) instead of adding a line, as Kubernetes aggregates events.
 */
export class EventLog {
  private readonly events: GroupEvent[] = [];

  constructor(private readonly groupName: string) {}

  record(type: GroupEvent['type'], reason: string, message: string, now = new Date()): void {
    const same = this.events.find(event => event.reason === reason && event.message === message);
    if (same) {
      same.count++;
      same.lastTimestamp = now;
      this.events.splice(this.events.indexOf(same), 1);
      this.events.push(same);
      return;
    }
    this.events.push({
      type,
      reason,
      message,
      name: `${this.groupName}.${randomBytes(8).toString('hex')}`,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
    });
    if (this.events.length > MAX_EVENTS) this.events.shift();
  }

  list(): readonly GroupEvent[] {
    return this.events;
  }

  /** The shape DescribeContainerGroups returns. */
  describe(): Array<Record<string, unknown>> {
    return this.events.map(event => ({
      Count: event.count,
      Type: event.type,
      Name: event.name,
      Reason: event.reason,
      Message: event.message,
      FirstTimestamp: eciTime(event.firstTimestamp),
      LastTimestamp: eciTime(event.lastTimestamp),
    }));
  }
}
