import type { V1ContainerState } from '@kubernetes/client-node';
import type { ContainerObservation, PodObservation } from '@vkubelet/provider-kit';

import type { ContainerRecord, CriPod } from './record.js';
import { nsToDate } from './time.js';

export const CONTAINER_ID_PREFIX = 'containerd://';

const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

/** The state of a container record in Kubernetes terms (kubelet's convertToAPIContainerStatuses). */
function containerState(record: ContainerRecord): V1ContainerState | undefined {
  const cri = record.status;
  if (record.waiting && (!cri || cri.state === 'CONTAINER_EXITED')) {
    const { reason, message } = record.waiting;
    return { waiting: { reason, ...(message ? { message } : {}) } };
  }
  if (!cri) return undefined;
  switch (cri.state) {
    case 'CONTAINER_CREATED':
      return { waiting: { reason: 'ContainerCreating' } };
    case 'CONTAINER_RUNNING':
      return { running: { startedAt: nsToDate(cri.started_at) ?? new Date() } };
    case 'CONTAINER_EXITED':
      return { terminated: terminated(record)! };
    default:
      return {
        waiting: {
          reason: 'Unknown',
          message: cri.message || 'the runtime reports the container state as unknown',
        },
      };
  }
}

/** What containerd says about one container, for the status builder. */
export function observeContainer(record: ContainerRecord): ContainerObservation {
  const state = containerState(record);
  const imageID = record.imageRef ?? record.status?.image_ref;
  return {
    name: record.spec.name,
    image: record.spec.image ?? '',
    ...(imageID ? { imageID } : {}),
    ...(record.id ? { containerID: `${CONTAINER_ID_PREFIX}${record.id}` } : {}),
    restartCount: record.attempt,
    ...(state ? { state } : {}),
    ...(record.lastTermination ? { lastState: { terminated: record.lastTermination } } : {}),
  };
}

/** The terminated state of the current instance, when it has exited. */
export function terminated(record: ContainerRecord): NonNullable<V1ContainerState['terminated']> | undefined {
  const cri = record.status;
  if (!cri || cri.state !== 'CONTAINER_EXITED') return undefined;
  const startedAt = nsToDate(cri.started_at);
  // containerd stamps started_at when Start returns but finished_at from the exit event, so a process
  // that exits at once can "finish" before it "started"; report the start as the earliest finish.
  const reportedFinish = nsToDate(cri.finished_at) ?? new Date();
  const finishedAt = startedAt && reportedFinish < startedAt ? startedAt : reportedFinish;
  return {
    exitCode: cri.exit_code,
    reason: cri.reason || (cri.exit_code === 0 ? 'Completed' : 'Error'),
    ...(cri.message ? { message: cri.message } : {}),
    ...(startedAt ? { startedAt } : {}),
    finishedAt,
    containerID: `${CONTAINER_ID_PREFIX}${record.id}`,
  };
}

/** True when init container `record` has finished successfully. */
export function initSucceeded(record: ContainerRecord): boolean {
  return record.status?.state === 'CONTAINER_EXITED' && record.status.exit_code === 0;
}

/** Init containers failed for good: restartPolicy Never and one exited non-zero. */
export function initFailedForGood(pod: CriPod): boolean {
  if ((pod.pod.spec?.restartPolicy ?? 'Always') !== 'Never') return false;
  return pod.state.init.some(c => c.status?.state === 'CONTAINER_EXITED' && c.status.exit_code !== 0);
}

/** The pod as containerd runs it, for the status builder (which applies the kubelet's rules). */
export function observePod(pod: CriPod): PodObservation {
  const { state } = pod;
  return {
    initContainers: state.init.map(observeContainer),
    containers: state.app.map(observeContainer),
    podIPs: state.podIP ? [state.podIP] : [],
    sandboxReady: state.sandboxReady,
    startTime: state.createdAt,
    // Deleted (every container stopped, sandbox gone) or past its deadline: over for good.
    stopped: (pod.deleting && !state.sandboxReady) || state.deadlineExceeded === true,
    ...(state.deadlineExceeded
      ? { phase: 'Failed' as const, reason: 'DeadlineExceeded', message: DEADLINE_MESSAGE }
      : {}),
  };
}
