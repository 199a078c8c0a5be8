import type { ContainerGroup } from '@azure/arm-containerinstance';

/** What the provider keeps per pod: its container group as ARM last described it. */
export interface GroupState {
  /** The container group's name in the resource group. */
  name: string;
  /** The group from the last GET (or the PUT's answer, until the first GET). */
  group: ContainerGroup;
  /** When this process first saw the group: the start time when ACI reports none. */
  firstSeen: Date;
  /** ACI events already recorded as Kubernetes events: count per event (see `eventKey`). */
  eventsSeen: ReadonlyMap<string, number>;
}
