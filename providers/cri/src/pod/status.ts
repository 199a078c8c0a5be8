import type {
  V1ContainerState,
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
} from '@kubernetes/client-node';

import type { ContainerRecord, PodRecord } from './record.js';
import { nsToDate } from './time.js';

export const CONTAINER_ID_PREFIX = 'containerd://';

/** The Kubernetes view of one container record (kubelet's convertToAPIContainerStatuses, reduced). */
export function containerStatus(record: ContainerRecord): V1ContainerStatus {
  const cri = record.status;
  let state: V1ContainerState;
  if (record.waiting && (!cri || cri.state === 'CONTAINER_EXITED')) {
    state = {
      waiting: {
        reason: record.waiting.reason,
        ...(record.waiting.message ? { message: record.waiting.message } : {}),
      },
    };
  } else if (!cri || cri.state === 'CONTAINER_CREATED') {
    state = { waiting: { reason: 'ContainerCreating' } };
  } else if (cri.state === 'CONTAINER_RUNNING') {
    state = { running: { startedAt: nsToDate(cri.started_at) ?? new Date() } };
  } else if (cri.state === 'CONTAINER_EXITED') {
    state = { terminated: terminated(record)! };
  } else {
    state = {
      waiting: {
        reason: 'Unknown',
        message: cri.message || 'the runtime reports the container state as unknown',
      },
    };
  }
  return {
    name: record.spec.name,
    image: record.spec.image ?? '',
    imageID: record.imageRef ?? cri?.image_ref ?? '',
    ...(record.id ? { containerID: `${CONTAINER_ID_PREFIX}${record.id}` } : {}),
    ready: cri?.state === 'CONTAINER_RUNNING' && record.kind === 'app',
    started: cri?.state === 'CONTAINER_RUNNING',
    restartCount: record.attempt,
    state,
    lastState: record.lastTermination ? { terminated: record.lastTermination } : {},
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
export function initFailedForGood(pod: PodRecord): boolean {
  if ((pod.pod.spec?.restartPolicy ?? 'Always') !== 'Never') return false;
  return pod.init.some(c => c.status?.state === 'CONTAINER_EXITED' && c.status.exit_code !== 0);
}

/** kubelet's getPhase: from the app containers' states and the restart policy. */
export function podPhase(pod: PodRecord, statuses: V1ContainerStatus[]): NonNullable<V1PodStatus['phase']> {
  if (initFailedForGood(pod) || pod.deadlineExceeded) return 'Failed';
  if (pod.deleting && !pod.sandboxReady) {
    // Deleted: every container has been stopped; the pod ends like kubelet ends it (terminal phase).
    const exits = statuses.map(s => s.state?.terminated?.exitCode);
    return exits.every(code => code === 0) ? 'Succeeded' : 'Failed';
  }
  if (!pod.init.every(initSucceeded)) return 'Pending';
  const policy = pod.pod.spec?.restartPolicy ?? 'Always';
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const status of statuses) {
    if (status.state?.running) running++;
    else if (status.state?.terminated) {
      stopped++;
      if (status.state.terminated.exitCode === 0) succeeded++;
    } else if (status.lastState?.terminated) {
      stopped++;
      if (status.lastState.terminated.exitCode === 0) succeeded++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === 0) return 'Pending';
  if (policy === 'Always') return 'Running';
  if (stopped === succeeded) return 'Succeeded';
  return policy === 'OnFailure' ? 'Running' : 'Failed';
}

function condition(type: string, ok: boolean, since: Date, reason?: string): V1PodCondition {
  return {
    type,
    status: ok ? 'True' : 'False',
    lastTransitionTime: since,
    ...(ok || !reason ? {} : { reason }),
  };
}

export function qosClass(pod: V1Pod): string {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    if (Object.keys(requests).length || Object.keys(limits).length) any = true;
    for (const resource of ['cpu', 'memory']) {
      const limit = limits[resource];
      const request = requests[resource] ?? limit;
      if (limit === undefined || request !== limit) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** The pod status the provider reports (kubelet's generateAPIPodStatus, reduced: no probes). */
export function podStatus(pod: PodRecord, hostIP: string): V1PodStatus {
  const initStatuses = pod.init.map(containerStatus);
  const appStatuses = pod.app.map(containerStatus);
  const phase = podPhase(pod, appStatuses);
  const initialized = pod.init.every(initSucceeded);
  const containersReady = appStatuses.every(s => s.ready);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const since = pod.createdAt;
  const ip = pod.podIP;
  return {
    phase,
    ...(pod.deadlineExceeded
      ? {
          reason: 'DeadlineExceeded',
          message: 'Pod was active on the node longer than the specified deadline',
        }
      : {}),
    hostIP,
    hostIPs: [{ ip: hostIP }],
    ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
    startTime: pod.createdAt,
    qosClass: qosClass(pod.pod),
    conditions: [
      condition('PodReadyToStartContainers', pod.sandboxReady, since),
      condition('Initialized', initialized, since, 'ContainersNotInitialized'),
      condition(
        'Ready',
        containersReady && !terminal,
        since,
        terminal ? 'PodCompleted' : 'ContainersNotReady',
      ),
      condition(
        'ContainersReady',
        containersReady && !terminal,
        since,
        terminal ? 'PodCompleted' : 'ContainersNotReady',
      ),
      condition('PodScheduled', true, since),
    ],
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: appStatuses,
  };
}
