import { createHash } from 'node:crypto';

import type { V1Container, V1Pod } from '@kubernetes/client-node';
import {
  isNotFound,
  podIdentity,
  TransientError,
  type CallOptions,
  type Logger,
  type PodBackend,
  type PodEventSink,
  type PodObservation,
  type ResourceLister,
  type TrackedPod,
} from '@vkubelet/provider-kit';

import type { EciClient } from './client/eci-client.js';
import { ContainerGroups, type GroupSummary } from './client/groups.js';
import type { CreateContainerGroupResponse, EciContainerGroup } from './client/wire.js';
import { identityFromTags, scopeTags, TAG } from './identity.js';
import { buildCreateRequest, readPodReferences, type GroupSettings } from './mapping/container-group.js';
import { podFromGroup } from './status/adopted-pod.js';
import { newGroupEvents } from './status/events.js';
import { observeGroup, SETTLED, type GroupState } from './status/observe.js';

export interface EciBackendOptions {
  client: EciClient;
  settings: GroupSettings;
  /** Core's ConfigMaps and Secrets, for configMap/secret volumes and image pull secrets. */
  resources: ResourceLister;
  /** Where the groups' events go, as Kubernetes events on their pods. */
  events: PodEventSink;
  /** Summaries first, then describe what changed (see the config's `refreshBySummary`). */
  refreshBySummary: boolean;
  logger: Logger;
}

/** Group states in which UpdateContainerGroup has nothing to change any more. */
const OVER = new Set(['Succeeded', 'Failed', 'ScheduleFailed', 'Expired']);

/**
 * Pods as ECI container groups (see buildCreateRequest for the mapping). Every group is found by ID
 * or by tag, never by reading the region: a refresh round reads the summaries of this node's groups
 * (DescribeContainerGroupStatus, 200 a request) and describes only the groups whose summary changed
 * or that are still starting (DescribeContainerGroups, 20 IDs a request), so a node of settled pods
 * costs one request per 200 pods per round. The events of the groups described are re-emitted as
 * Kubernetes events.
 */
export class EciBackend implements PodBackend<GroupState> {
  private readonly groups: ContainerGroups;

  constructor(private readonly options: EciBackendOptions) {
    this.groups = new ContainerGroups(options.client);
  }

  async create(pod: V1Pod, { signal }: CallOptions): Promise<GroupState> {
    const references = await readPodReferences(pod, this.options.resources);
    // Validated before any request: a pod ECI cannot run leaves nothing behind.
    const request = buildCreateRequest(pod, this.options.settings, references);
    for (const warning of request.warnings) {
      this.options.events.event(pod, 'Warning', 'FailedToRetrieveImagePullSecret', warning);
    }
    // ClientToken is the UID: ECI answers a repeated create with the group it already made.
    const out = await this.options.client.request<CreateContainerGroupResponse>(
      'CreateContainerGroup',
      request.params,
      { signal, idempotent: true },
    );
    if (!out.ContainerGroupId)
      throw new TransientError('CreateContainerGroup answered without a ContainerGroupId');
    const name = request.params['ContainerGroupName'] as string;
    return { group: { ContainerGroupId: out.ContainerGroupId, ContainerGroupName: name }, described: false };
  }

  /** The group of this UID, if a create (a lost answer, a process before this one) made it. */
  async find(pod: V1Pod, { signal }: CallOptions): Promise<GroupState | undefined> {
    const { uid } = podIdentity(pod);
    const tags = [...scopeTags(this.options.settings), { Key: TAG.uid, Value: uid }];
    const [group] = await this.groups.tagged(tags, signal);
    return group ? { group, described: false } : undefined;
  }

  async delete(record: TrackedPod<GroupState>, { signal }: CallOptions): Promise<GroupState | null> {
    try {
      await this.options.client.request(
        'DeleteContainerGroup',
        { ContainerGroupId: record.state.group.ContainerGroupId },
        { signal, idempotent: true },
      );
    } catch (error) {
      // A group ECI no longer knows is as deleted as it gets.
      if (!isNotFound(error)) throw error;
    }
    return null;
  }

  async refresh(
    records: readonly TrackedPod<GroupState>[],
    { signal }: CallOptions,
  ): Promise<Map<string, GroupState | null>> {
    const summaries = this.options.refreshBySummary
      ? await this.groups.summaries(scopeTags(this.options.settings), signal)
      : undefined;
    const stale = records.filter(record => needsDescribing(record.state, summaries));
    const states = new Map<string, GroupState | null>();
    if (stale.length === 0) return states;
    const described = await this.groups.describe(
      stale.map(record => record.state.group.ContainerGroupId),
      signal,
    );
    for (const record of stale) {
      const id = record.state.group.ContainerGroupId;
      const group = described.get(id);
      if (!group) {
        // Neither summarised nor described: ECI no longer has the group.
        states.set(record.uid, null);
        continue;
      }
      this.reportEvents(record, group);
      states.set(record.uid, { group, summary: summaries?.get(id)?.fingerprint, described: true });
    }
    return states;
  }

  /** The groups of this node and cluster, with the pods they run (adoption after a restart). */
  async list({ signal }: CallOptions): Promise<Array<{ pod: V1Pod; state: GroupState }>> {
    const { settings } = this.options;
    const groups = await this.groups.tagged(scopeTags(settings), signal);
    return groups.flatMap(group => {
      const identity = identityFromTags(group.Tags, settings);
      if (!identity) return [];
      // Events from before the restart were reported then: this description is the baseline.
      return [{ pod: podFromGroup(group, identity, settings.nodeName), state: { group, described: true } }];
    });
  }

  /**
   * A changed pod: new images go to ECI (UpdateContainerGroup, an incremental update of the
   * containers whose image changed; ECI restarts the group's containers for it). Kubernetes lets a
   * pod change little else; what ECI cannot change (activeDeadlineSeconds) is said in an event.
   */
  async update(pod: V1Pod, record: TrackedPod<GroupState>, { signal }: CallOptions): Promise<void> {
    const { group } = record.state;
    const before = record.pod.spec;
    const spec = pod.spec;
    if (!spec || !before) return;
    if (spec.activeDeadlineSeconds !== before.activeDeadlineSeconds) {
      this.options.events.event(
        pod,
        'Warning',
        'UpdateNotApplied',
        'ECI cannot change activeDeadlineSeconds of a container group that exists; the old value still applies',
      );
    }
    const containers = changedImages(before.containers, spec.containers);
    const initContainers = changedImages(before.initContainers ?? [], spec.initContainers ?? []);
    if (containers.length === 0 && initContainers.length === 0) return;
    if (OVER.has(group.Status ?? '')) {
      this.options.events.event(
        pod,
        'Warning',
        'UpdateNotApplied',
        `the container group has ended (${group.Status}); a new image cannot apply`,
      );
      return;
    }
    const images = JSON.stringify([containers, initContainers]);
    await this.options.client.request(
      'UpdateContainerGroup',
      {
        ContainerGroupId: group.ContainerGroupId,
        UpdateType: 'IncrementalUpdate',
        Container: containers,
        InitContainer: initContainers,
        // The same change sent again (a retry) is one update.
        ClientToken: `${record.uid}-${createHash('sha256').update(images).digest('hex').slice(0, 16)}`,
      },
      { signal, idempotent: true },
    );
  }

  observe(record: TrackedPod<GroupState>): PodObservation {
    return observeGroup(record.pod, record.state);
  }

  close(): void {
    this.options.client.close();
  }

  /** The group's events this process has not reported yet, as Kubernetes events on the pod. */
  private reportEvents(record: TrackedPod<GroupState>, group: EciContainerGroup): void {
    const previous = record.state.described ? (record.state.group.Events ?? []) : undefined;
    for (const { type, reason, note } of newGroupEvents(previous, group.Events ?? [])) {
      this.options.events.event(record.pod, type, reason, note);
    }
  }
}

/** Whether a group must be described this round: new to this process, changed, or not settled. */
function needsDescribing(
  state: GroupState,
  summaries: ReadonlyMap<string, GroupSummary> | undefined,
): boolean {
  if (!summaries || !state.described) return true;
  const summary = summaries.get(state.group.ContainerGroupId);
  return !summary || summary.fingerprint !== state.summary || !SETTLED.has(summary.status);
}

/** `{Name, Image}` of each container whose image differs from before. */
function changedImages(
  before: readonly V1Container[],
  after: readonly V1Container[],
): Array<{ Name: string; Image: string }> {
  const old = new Map(before.map(container => [container.name, container.image]));
  return after
    .filter(
      container => container.image && old.has(container.name) && old.get(container.name) !== container.image,
    )
    .map(container => ({ Name: container.name, Image: container.image! }));
}
