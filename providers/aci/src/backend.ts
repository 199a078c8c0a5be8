import type { ContainerGroup, ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { V1Pod } from '@kubernetes/client-node';
import {
  isNotFound,
  podIdentity,
  TransientError,
  type CallOptions,
  type Logger,
  type PodBackend,
  type PodEventSink,
  type PodObservation,
  type TrackedPod,
} from '@vkubelet/provider-kit';

import { podFromGroup } from './adoption.js';
import { callArm } from './azure/errors.js';
import { buildContainerGroup, type GroupSettings } from './group/build.js';
import { containerGroupName, identityFromTags, ownedBy, TAG } from './group/naming.js';
import { eventCounts, newEvents } from './status/events.js';
import type { GroupState } from './status/group-state.js';
import { observeGroup } from './status/observe.js';

export interface AciBackendOptions {
  client: ContainerInstanceManagementClient;
  resourceGroup: string;
  settings: GroupSettings;
  /** Where ACI's events about a pod are recorded as Kubernetes events. */
  events: PodEventSink;
  /** True while the runtime still tracks a pod of that UID (it is being deleted, not gone). */
  tracks(uid: string): boolean;
  logger: Logger;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);
/** GETs in flight at once while adopting the groups of a restarted agent. */
const ADOPTION_CONCURRENCY = 10;

/**
 * Pods as ACI container groups: one group per pod, named from its namespace and name, tagged with
 * its UID and this node (and cluster). A PUT accepted by ARM is a created pod; `sync` follows the
 * group (provisioning, containers, events) with one GET each round; a group that vanished is gone.
 * Every ARM request goes through `callArm`.
 */
export class AciBackend implements PodBackend<GroupState> {
  private readonly client: ContainerInstanceManagementClient;
  private readonly resourceGroup: string;

  constructor(private readonly options: AciBackendOptions) {
    this.client = options.client;
    this.resourceGroup = options.resourceGroup;
  }

  /**
   * PUTs the group and resolves once ARM accepted it (`beginCreateOrUpdate` sends the PUT and polls
   * the operation once); the provisioning that follows (Pending, Creating, Succeeded) is read by `sync`.
   */
  async create(pod: V1Pod, { signal }: CallOptions): Promise<GroupState> {
    const { name, group } = await buildContainerGroup(pod, this.options.settings, { signal });
    let accepted: ContainerGroup | undefined;
    await callArm('ContainerGroups_CreateOrUpdate', () =>
      this.client.containerGroups.beginCreateOrUpdate(this.resourceGroup, name, group, {
        abortSignal: signal,
        // The first answer is the PUT's: the group as ARM stored it. Later ones are the operation's.
        onResponse: (raw, flat) => {
          if (!accepted && (raw.status === 200 || raw.status === 201)) accepted = flat as ContainerGroup;
        },
      }),
    );
    return {
      name,
      group: accepted?.containers ? accepted : { ...group, name, provisioningState: 'Pending' },
      firstSeen: new Date(),
      eventsSeen: new Map(),
    };
  }

  /**
   * The group of this pod's UID, if ARM has it: the name is derived from the pod, the UID tag says
   * whose it is. A group of that name made for an earlier pod of the same name (gone from the API
   * server, or core would not hand us this one) is deleted first; a group this node and cluster did
   * not make is never touched, and the pod waits (TransientError) until it is gone.
   */
  async find(pod: V1Pod, { signal }: CallOptions): Promise<GroupState | undefined> {
    const identity = podIdentity(pod);
    const name = containerGroupName(identity.namespace, identity.name);
    const group = await this.get(name, signal);
    if (!group) return undefined;
    const tags = group.tags ?? {};
    if (tags[TAG.uid] === identity.uid) {
      return { name, group, firstSeen: new Date(), eventsSeen: eventCounts(group) };
    }
    const owner = this.options.settings.owner;
    if (!ownedBy(tags, owner)) {
      throw new TransientError(
        `container group ${name} already exists in resource group ${this.resourceGroup} and was not made by ` +
          `node ${owner.nodeName}${owner.clusterName ? ` of cluster ${owner.clusterName}` : ''}; it is left alone`,
      );
    }
    const earlier = tags[TAG.uid] ?? 'unknown';
    if (this.options.tracks(earlier) || group.provisioningState === 'Deleting') {
      throw new TransientError(
        `container group ${name} of the earlier pod ${earlier} is still being deleted`,
      );
    }
    this.options.logger.info('deleting the container group of an earlier pod of the same name', {
      group: name,
      earlierUid: earlier,
      uid: identity.uid,
    });
    await this.deleteGroup(name, signal);
    throw new TransientError(`replacing container group ${name} of the earlier pod ${earlier}; retrying`);
  }

  /** DELETE; ARM answers 200/204 once the group is gone, 202 while it is being deleted (followed by `sync`). */
  async delete(record: TrackedPod<GroupState>, { signal }: CallOptions): Promise<GroupState | null> {
    const status = await this.deleteGroup(record.state.name, signal);
    if (status !== 202) return null;
    return { ...record.state, group: { ...record.state.group, provisioningState: 'Deleting' } };
  }

  /**
   * One GET of the group: its provisioning, instance view and events. ACI's new events become
   * Kubernetes events on the pod. A pod already over is not read again: nothing in ACI changes it.
   */
  async sync(record: TrackedPod<GroupState>, { signal }: CallOptions): Promise<GroupState | null | void> {
    if (!record.deleting && TERMINAL.has(record.status.phase ?? '')) return undefined;
    const group = await this.get(record.state.name, signal);
    // Gone, or replaced by a group of a newer pod of the same name.
    if (!group || group.tags?.[TAG.uid] !== record.uid) return null;
    for (const event of newEvents(group, record.state.eventsSeen)) {
      this.options.events.event(record.pod, event.type, event.reason, event.note);
    }
    return { ...record.state, group, eventsSeen: eventCounts(group) };
  }

  /**
   * After a restart: every group of the resource group made by this node (and cluster), each read
   * with its instance view so the first status reported is the real one, with the pod it runs.
   * ACI's events up to now were recorded by the earlier process and are not recorded again.
   */
  async list({ signal }: CallOptions): Promise<Array<{ pod: V1Pod; state: GroupState }>> {
    const owner = this.options.settings.owner;
    const listed = await callArm('ContainerGroups_ListByResourceGroup', async () => {
      const groups: ContainerGroup[] = [];
      for await (const group of this.client.containerGroups.listByResourceGroup(this.resourceGroup, {
        abortSignal: signal,
      }))
        groups.push(group);
      return groups;
    });
    const ours = listed.filter(
      group => ownedBy(group.tags, owner) && identityFromTags(group.tags) && group.name,
    );
    const adopted: Array<{ pod: V1Pod; state: GroupState }> = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ours.length) {
        const listedGroup = ours[next++]!;
        const group = await this.get(listedGroup.name!, signal);
        const identity = identityFromTags(group?.tags);
        if (!group || !identity) continue;
        const pod = podFromGroup(identity, owner.nodeName, group);
        adopted.push({
          pod,
          state: { name: group.name!, group, firstSeen: new Date(), eventsSeen: eventCounts(group) },
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(ADOPTION_CONCURRENCY, ours.length) }, worker));
    return adopted;
  }

  observe(record: TrackedPod<GroupState>): PodObservation {
    return observeGroup(record);
  }

  /** The group with its instance view, or undefined when ARM has none of that name. */
  private async get(name: string, signal: AbortSignal): Promise<ContainerGroup | undefined> {
    try {
      return await callArm('ContainerGroups_Get', () =>
        this.client.containerGroups.get(this.resourceGroup, name, { abortSignal: signal }),
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Sends the DELETE; resolves with ARM's status (404 counts as 204: nothing left to delete). */
  private async deleteGroup(name: string, signal: AbortSignal): Promise<number> {
    let status: number | undefined;
    try {
      await callArm('ContainerGroups_Delete', () =>
        this.client.containerGroups.beginDelete(this.resourceGroup, name, {
          abortSignal: signal,
          // The first answer is the DELETE's; a later one is the operation's.
          onResponse: raw => void (status ??= raw.status),
        }),
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return 204;
    }
    return status ?? 204;
  }
}
