import { createHash } from 'node:crypto';

import type {
  ContainerGroup,
  ContainerPropertiesInstanceView,
  ContainerState,
} from '@azure/arm-containerinstance';
import type { V1Container, V1ContainerState } from '@kubernetes/client-node';
import type { ContainerObservation, PodObservation, TrackedPod } from '@vkubelet/provider-kit';

import type { GroupState } from './group-state.js';

/** provisioningStates after which the group will not run (again) by itself. */
const DEPLOYMENT_FAILED = new Set(['Failed', 'Canceled']);

/** `aci://<sha256>` of the container's resource path, as the Go provider derived container IDs. */
export function containerId(group: ContainerGroup, name: string): string {
  const path = `${group.id ?? group.name ?? ''}/containers/${name}`.toUpperCase();
  return `aci://${createHash('sha256').update(path).digest('hex')}`;
}

/** Kubernetes waiting reasons are CamelCase words; ACI's detailStatus sometimes is a sentence. */
function waitingReason(detail: string | undefined): { reason: string; message?: string } {
  if (detail && /^[A-Z][A-Za-z]+$/.test(detail)) return { reason: detail };
  return detail ? { reason: 'ContainerCreating', message: detail } : { reason: 'ContainerCreating' };
}

/** One run of a container, as ACI reports it, in Kubernetes terms. */
export function containerState(
  state: ContainerState | undefined,
  fallbackStart: Date,
): V1ContainerState | undefined {
  switch (state?.state) {
    case 'Running':
      return { running: { startedAt: state.startTime ?? fallbackStart } };
    case 'Terminated': {
      const detail = state.detailStatus;
      const oom = detail !== undefined && /oom/i.test(detail);
      return {
        terminated: {
          exitCode: state.exitCode ?? (detail === 'Completed' ? 0 : 1),
          ...(oom ? { reason: 'OOMKilled' } : {}),
          ...(detail && !oom && detail !== 'Completed' && detail !== 'Error' ? { message: detail } : {}),
          ...(state.startTime ? { startedAt: state.startTime } : {}),
          finishedAt: state.finishTime ?? state.startTime ?? fallbackStart,
        },
      };
    }
    case 'Waiting':
    case 'Pending':
      return { waiting: waitingReason(state.detailStatus) };
    default:
      return undefined;
  }
}

function observeContainer(
  spec: V1Container,
  found: { image?: string; instanceView?: ContainerPropertiesInstanceView } | undefined,
  group: ContainerGroup,
  fallbackStart: Date,
): ContainerObservation {
  const observation: ContainerObservation = { name: spec.name };
  if (found?.image) observation.image = found.image;
  const view = found?.instanceView;
  if (!view) return observation;
  const state = containerState(view.currentState, fallbackStart);
  if (state) observation.state = state;
  const last = containerState(view.previousState, fallbackStart);
  if (last?.terminated) observation.lastState = last;
  if (view.restartCount !== undefined) observation.restartCount = view.restartCount;
  if (state?.running || state?.terminated || last) observation.containerID = containerId(group, spec.name);
  return observation;
}

/** The earliest start ACI reports for any container, if one has started. */
function firstStart(group: ContainerGroup): Date | undefined {
  const starts = [...group.containers, ...(group.initContainers ?? [])]
    .map(c => c.instanceView?.currentState?.startTime ?? c.instanceView?.previousState?.startTime)
    .filter((time): time is Date => time instanceof Date);
  return starts.length > 0 ? new Date(Math.min(...starts.map(time => time.getTime()))) : undefined;
}

/** The message of the last warning ACI recorded for the group or a container (why a deployment failed). */
function lastWarning(group: ContainerGroup): string | undefined {
  const events = [
    ...(group.instanceView?.events ?? []),
    ...group.containers.flatMap(c => c.instanceView?.events ?? []),
    ...(group.initContainers ?? []).flatMap(c => c.instanceView?.events ?? []),
  ].filter(event => event.type === 'Warning');
  events.sort((a, b) => (a.lastTimestamp?.getTime() ?? 0) - (b.lastTimestamp?.getTime() ?? 0));
  return events.at(-1)?.message;
}

/**
 * A pod's container group in Kubernetes terms: the containers' current and previous states and
 * restart counts from the instance view, the group's IP, and the group's fate: a deployment ACI gave
 * up on (provisioningState Failed or Canceled, e.g. an image it cannot pull) fails the pod, and a
 * stopped or deleting group is over. `buildPodStatus` does the rest.
 */
export function observeGroup(record: TrackedPod<GroupState>): PodObservation {
  const { group, firstSeen } = record.state;
  const spec = record.pod.spec;
  const byName = new Map<string, { image?: string; instanceView?: ContainerPropertiesInstanceView }>();
  for (const c of group.containers) byName.set(c.name, c);
  for (const c of group.initContainers ?? []) byName.set(c.name, c);
  const started = firstStart(group);
  const fallback = started ?? firstSeen;
  const observation: PodObservation = {
    containers: (spec?.containers ?? []).map(c => observeContainer(c, byName.get(c.name), group, fallback)),
    initContainers: (spec?.initContainers ?? []).map(c =>
      observeContainer(c, byName.get(c.name), group, fallback),
    ),
    startTime: started ?? firstSeen,
  };
  const ip = group.ipAddress?.ip;
  if (ip) observation.podIPs = [ip];
  const provisioning = group.provisioningState ?? '';
  const state = group.instanceView?.state;
  if (DEPLOYMENT_FAILED.has(provisioning)) {
    const warning = lastWarning(group);
    observation.stopped = true;
    observation.phase = 'Failed';
    observation.reason = 'ProvisioningFailed';
    observation.message = `ACI could not deploy the container group (provisioning ${provisioning})${warning ? `: ${warning}` : ''}`;
  } else if (state === 'Stopped') {
    observation.stopped = true;
    observation.reason = 'Stopped';
    observation.message = 'the container group was stopped in ACI';
  } else if (provisioning === 'Deleting' || record.deleting) {
    observation.stopped = true;
  }
  return observation;
}
