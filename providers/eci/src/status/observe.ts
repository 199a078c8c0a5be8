import type { V1Container, V1ContainerState, V1Pod } from '@kubernetes/client-node';
import type { ContainerObservation, PodObservation } from '@vkubelet/provider-kit';

import type { EciContainer, EciContainerGroup, EciContainerState } from '../client/wire.js';

/** What the provider keeps per pod: its group as ECI last described it. */
export interface GroupState {
  group: EciContainerGroup;
  /**
   * The group's entry in the last DescribeContainerGroupStatus read: while it stays the same, a
   * settled group is not described again.
   */
  summary?: string | undefined;
  /** False until DescribeContainerGroups has described the group (right after the create). */
  described: boolean;
}

/** Group states after which ECI starts no container again. */
const ENDED = new Set(['Succeeded', 'Failed', 'ScheduleFailed', 'Expired']);
/** Groups that will not change unless their summary does: not described every round. */
export const SETTLED = new Set(['Running', ...ENDED]);

/** ECI's times (`2018-08-02T15:00:00Z`); undefined for an absent or unreadable one. */
function time(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/**
 * A container state in Kubernetes terms. ECI reports Waiting, Running and Terminated (older answers
 * Succeeded and Failed for the last); the Go provider reported Succeeded as running, which this
 * does not repeat.
 */
export function containerState(state: EciContainerState | undefined): V1ContainerState | undefined {
  if (!state?.State) return undefined;
  const startedAt = time(state.StartTime);
  const reason = state.Reason || state.DetailStatus || undefined;
  switch (state.State) {
    case 'Running':
      return { running: startedAt ? { startedAt } : {} };
    case 'Terminated':
    case 'Succeeded':
    case 'Failed': {
      const finishedAt = time(state.FinishTime);
      return {
        terminated: {
          exitCode: state.ExitCode ?? (state.State === 'Succeeded' ? 0 : 1),
          ...(state.Signal ? { signal: state.Signal } : {}),
          ...(reason ? { reason } : {}),
          ...(state.Message ? { message: state.Message } : {}),
          ...(startedAt ? { startedAt } : {}),
          ...(finishedAt ? { finishedAt } : {}),
        },
      };
    }
    default:
      return {
        waiting: { ...(reason ? { reason } : {}), ...(state.Message ? { message: state.Message } : {}) },
      };
  }
}

function observeContainer(
  spec: V1Container,
  container: EciContainer | undefined,
  groupId: string,
): ContainerObservation {
  const observation: ContainerObservation = { name: spec.name };
  if (!container) return observation;
  const state = containerState(container.CurrentState);
  const lastState = containerState(container.PreviousState);
  if (state) observation.state = state;
  if (lastState?.terminated) observation.lastState = lastState;
  if (container.RestartCount !== undefined) observation.restartCount = container.RestartCount;
  if (container.Image) observation.image = container.Image;
  if (state?.running && container.Ready !== undefined) observation.ready = container.Ready;
  if (state?.running || state?.terminated) observation.containerID = `eci://${groupId}/${spec.name}`;
  return observation;
}

/** The latest Warning event of a group: why it could not be placed, or why it failed. */
function lastWarning(group: EciContainerGroup): string | undefined {
  const warnings = (group.Events ?? []).filter(event => event.Type === 'Warning');
  return warnings.at(-1)?.Message;
}

/**
 * A pod's container group in Kubernetes terms, for buildPodStatus: container states, restart counts
 * and previous states by container name, IntranetIp as the pod IP, the creation time as the start.
 * A group ECI could not place (ScheduleFailed) or that expired fails the pod with its reason.
 */
export function observeGroup(pod: V1Pod, state: GroupState): PodObservation {
  const { group } = state;
  const id = group.ContainerGroupId;
  const byName = new Map<string, EciContainer>();
  for (const container of [...(group.InitContainers ?? []), ...(group.Containers ?? [])]) {
    byName.set(container.Name, container);
  }
  const status = group.Status ?? '';
  const observation: PodObservation = {
    initContainers: (pod.spec?.initContainers ?? []).map(c => observeContainer(c, byName.get(c.name), id)),
    containers: (pod.spec?.containers ?? []).map(c => observeContainer(c, byName.get(c.name), id)),
    ...(group.IntranetIp ? { podIPs: [group.IntranetIp] } : {}),
    stopped: ENDED.has(status),
  };
  const created = time(group.CreationTime);
  if (created) observation.startTime = created;
  if (status === 'ScheduleFailed' || status === 'Expired') {
    observation.phase = 'Failed';
    observation.reason = status;
    observation.message = lastWarning(group) ?? `ECI reports the container group ${id} ${status}`;
  }
  return observation;
}
