import type { V1ContainerState } from '@kubernetes/client-node';
import type { ContainerObservation, PodObservation } from '@vkubelet/provider-kit';

import type { ContainerStatus } from '../cri/types.js';
import type { ContainerRecord, CriPod } from './record.js';
import { nsToDate } from './time.js';

export const CONTAINER_ID_PREFIX = 'containerd://';

/** containerd's reason for a container whose StartContainer failed (exit code 128). */
const START_ERROR = 'StartError';
/**
 * How containerd words a start cut short because its request ended (the agent died or gave up):
 * the shim start killed, or the shim task creation cancelled, depending on the moment.
 */
const START_INTERRUPTED = /context canceled|context deadline exceeded|failed to start shim: .*signal: killed/;

/**
 * containerd reports a failed start whose request went away: the process never ran, so this is no
 * failure of the container's (no restart counted, a Never pod not failed): it is created again.
 */
export function isInterruptedStart(status: ContainerStatus | undefined): boolean {
  return (
    status?.state === 'CONTAINER_EXITED' &&
    status.reason === START_ERROR &&
    START_INTERRUPTED.test(status.message)
  );
}

/**
 * containerd's mark of a container whose task it lost across its own restart: its restart recovery
 * found the container running in its records but no task (the shim gone, or cleaned up as dead when
 * it did not answer in time), and wrote exit code 255 with reason "Unknown" (containerd's
 * unknownExitCode / unknownExitReason, pkg/cri/server/restart.go in 1.6, internal/cri/server in 2.x).
 * A process that exits on its own gets reason "Error" (or "Completed", "OOMKilled"), never "Unknown",
 * so a genuine exit 255 is not taken for a loss.
 */
const LOST_EXIT_CODE = 255;
const LOST_REASON = 'Unknown';

/** The runtime lost the container's task (see LOST_REASON): how the process ended is not known. */
export function isLostByRuntime(status: ContainerStatus | undefined): boolean {
  return (
    status?.state === 'CONTAINER_EXITED' &&
    status.exit_code === LOST_EXIT_CODE &&
    status.reason === LOST_REASON
  );
}

/** Created but never started, or its start cut short: the container's process never ran. */
export function neverRan(record: ContainerRecord): boolean {
  return record.status?.state === 'CONTAINER_CREATED' || isInterruptedStart(record.status);
}

/**
 * The instance's end says nothing about the workload: it never ran, or the runtime lost it. It is
 * created again with the same attempt, at once and whatever the restart policy: no restart counted,
 * no crash back-off, a Never pod not failed (a Job's pod would otherwise fail, and its Job burn a
 * retry, for a runtime restart).
 */
export function toCreateAgain(record: ContainerRecord): boolean {
  return neverRan(record) || isLostByRuntime(record.status);
}

/**
 * The runtime no longer has the container's instance (removed behind our back, or with its
 * sandbox). One that never ran is forgotten (it is created again); one that ran keeps its last
 * state, terminated as ContainerStatusUnknown (137) if it had not exited, as the kubelet reports a
 * container it cannot find, and the restart policy decides what follows (at once: it did not crash).
 */
export function markGone(record: ContainerRecord, message: string): void {
  if (!record.status || toCreateAgain(record)) {
    record.id = undefined;
    record.status = undefined;
    return;
  }
  if (record.status.state !== 'CONTAINER_EXITED') record.status = lostStatus(record, message);
  record.removed = true;
  // Not a crash of its own: a restart, if the policy wants one, need not wait for a back-off.
  record.notBefore = Date.now();
}

/**
 * The kubelet's verdict on a container that was not exited when it could no longer be found (its
 * sandbox removed, the pod over): terminated, exit code 137, ContainerStatusUnknown.
 */
export function lostStatus(record: ContainerRecord, message: string): ContainerStatus {
  const base: ContainerStatus = record.status ?? {
    id: record.id ?? '',
    metadata: { name: record.spec.name, attempt: record.attempt },
    state: 'CONTAINER_UNKNOWN',
    created_at: '0',
    started_at: '0',
    finished_at: '0',
    exit_code: 0,
    image: null,
    image_ref: '',
    reason: '',
    message: '',
    labels: {},
    annotations: {},
    log_path: '',
  };
  return {
    ...base,
    state: 'CONTAINER_EXITED',
    exit_code: 137,
    reason: 'ContainerStatusUnknown',
    message,
    finished_at: String(BigInt(Date.now()) * 1_000_000n),
  };
}

const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

const LOST_MESSAGE = 'the runtime lost the container across its restart; creating it again';

/** The state of a container record in Kubernetes terms (kubelet's convertToAPIContainerStatuses). */
function containerState(record: ContainerRecord): V1ContainerState | undefined {
  const cri = record.status;
  if (record.waiting && (!cri || cri.state === 'CONTAINER_EXITED')) {
    const { reason, message } = record.waiting;
    return { waiting: { reason, ...(message ? { message } : {}) } };
  }
  if (!cri) return undefined;
  // A start cut short is created again: the container is still being created, not failed.
  if (isInterruptedStart(cri)) return { waiting: { reason: 'ContainerCreating' } };
  if (isLostByRuntime(cri)) return { waiting: { reason: 'ContainerCreating', message: LOST_MESSAGE } };
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
    ...(record.id ? { containerID: `${CONTAINER_ID_PREFIX}${record.id}` } : {}),
  };
}

/** True when init container `record` has finished successfully. */
export function initSucceeded(record: ContainerRecord): boolean {
  return record.status?.state === 'CONTAINER_EXITED' && record.status.exit_code === 0;
}

/** The container ran and exited non-zero (a start cut short is not a run, nor a loss by the runtime). */
export function exitedWithFailure(record: ContainerRecord): boolean {
  const status = record.status;
  return status?.state === 'CONTAINER_EXITED' && status.exit_code !== 0 && !toCreateAgain(record);
}

/** Init containers failed for good: restartPolicy Never and one exited non-zero. */
export function initFailedForGood(pod: CriPod): boolean {
  if ((pod.pod.spec?.restartPolicy ?? 'Always') !== 'Never') return false;
  return pod.state.init.some(exitedWithFailure);
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
    // Deleted (every container stopped, sandbox gone), ended with its sandbox, or past its deadline:
    // over for good.
    stopped: (pod.deleting && !state.sandboxReady) || state.ended === true || state.deadlineExceeded === true,
    ...(state.deadlineExceeded
      ? { phase: 'Failed' as const, reason: 'DeadlineExceeded', message: DEADLINE_MESSAGE }
      : {}),
  };
}
