import type { Container as EcsContainer, Task } from '@aws-sdk/client-ecs';
import type { V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';

/** ECS task states before the containers run. */
const STARTING = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);
/** ECS task states on the way to STOPPED: the containers may still be running (pod terminating). */
const STOPPING = new Set(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING']);

/** The task's private IPv4 address, from its ENI attachment (awsvpc). */
export function taskIp(task: Task): string | undefined {
  for (const attachment of task.attachments ?? []) {
    if (attachment.type !== 'ElasticNetworkInterface') continue;
    const ip = attachment.details?.find(d => d.name === 'privateIPv4Address')?.value;
    if (ip) return ip;
  }
  return undefined;
}

/** When the provider saw the task first, and first saw it stopped: stand-ins for times ECS omits. */
export interface TaskObservation {
  firstSeen: Date;
  stoppedSeen?: Date | undefined;
}

/**
 * Kubernetes status of a pod from its ECS task. Unlike the Go provider (STOPPED was always
 * Succeeded), a stopped task is Failed unless every essential container exited with 0.
 */
export function podStatusFromTask(
  pod: V1Pod,
  task: Task,
  observed: TaskObservation = { firstSeen: new Date() },
): V1PodStatus {
  const lastStatus = task.lastStatus ?? 'PROVISIONING';
  const stopped = lastStatus === 'STOPPED';
  const running = lastStatus === 'RUNNING' || STOPPING.has(lastStatus);
  const byName = new Map((task.containers ?? []).map(c => [c.name, c]));

  const initContainerStatuses = (pod.spec?.initContainers ?? []).map(c =>
    containerStatus(c.name, c.image ?? '', byName.get(c.name), task, observed, true),
  );
  const containerStatuses = (pod.spec?.containers ?? []).map(c =>
    containerStatus(c.name, c.image ?? '', byName.get(c.name), task, observed, false),
  );

  let phase: string;
  if (stopped)
    phase = containerStatuses.every(s => s.state?.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
  else if (running) phase = 'Running';
  else phase = 'Pending';

  const initialized =
    running || stopped || initContainerStatuses.every(s => s.state?.terminated?.exitCode === 0);
  const containersReady = running && !STOPPING.has(lastStatus) && containerStatuses.every(s => s.ready);
  // Fallbacks are fixed times, never `now`, so an unchanged task yields an identical status (no notification).
  const since = task.startedAt ?? task.createdAt ?? observed.firstSeen;
  const condition = (type: string, status: boolean): V1PodCondition => ({
    type,
    status: status ? 'True' : 'False',
    lastTransitionTime: since,
  });

  const ip = taskIp(task);
  const status: V1PodStatus = {
    phase,
    conditions: [
      condition('PodScheduled', true),
      condition('Initialized', initialized),
      condition('ContainersReady', containersReady),
      condition('Ready', containersReady),
    ],
    containerStatuses,
    qosClass: pod.status?.qosClass ?? 'BestEffort',
  };
  if (initContainerStatuses.length > 0) status.initContainerStatuses = initContainerStatuses;
  // ECS always reports createdAt; the time the provider first saw the task stands in when it does not.
  status.startTime = task.createdAt ?? observed.firstSeen;
  if (ip) {
    status.podIP = ip;
    status.podIPs = [{ ip }];
  }
  if (stopped && task.stoppedReason) {
    status.reason = task.stopCode ?? 'TaskStopped';
    status.message = task.stoppedReason;
  }
  return status;
}

/**
 * The container's state as ECS last reported it, corrected by the task's: a stopped task stops every
 * container, and ECS marks a task RUNNING only once its essential (app) containers have started,
 * while the per-container status can lag behind (moto never advances it at all). Init containers
 * keep their own status: they may still be waiting or have exited.
 */
function effectiveContainerStatus(container: EcsContainer | undefined, task: Task, init: boolean): string {
  if (task.lastStatus === 'STOPPED') return 'STOPPED';
  const own = container?.lastStatus ?? 'PENDING';
  if (!init && task.lastStatus === 'RUNNING' && (own === 'PENDING' || own === 'PROVISIONING'))
    return 'RUNNING';
  return own;
}

function containerStatus(
  name: string,
  image: string,
  container: EcsContainer | undefined,
  task: Task,
  observed: TaskObservation,
  init: boolean,
): V1ContainerStatus {
  const lastStatus = effectiveContainerStatus(container, task, init);
  const base: V1ContainerStatus = {
    name,
    image: container?.image ?? image,
    imageID: container?.imageDigest ?? '',
    ready: false,
    restartCount: 0,
    started: false,
    ...(container?.runtimeId ? { containerID: `ecs://${container.runtimeId}` } : {}),
  };
  if (lastStatus === 'STOPPED') {
    // A task stopped before ECS recorded an exit code (StopTask, a failed pull) is reported as
    // killed, so the pod does not look like it succeeded.
    const exitCode = container?.exitCode ?? 137;
    return {
      ...base,
      state: {
        terminated: {
          exitCode,
          reason: container?.reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
          ...(container?.reason || task.stoppedReason
            ? { message: container?.reason ?? task.stoppedReason }
            : {}),
          startedAt: task.startedAt ?? task.createdAt ?? observed.firstSeen,
          finishedAt: task.stoppedAt ?? task.executionStoppedAt ?? observed.stoppedSeen ?? observed.firstSeen,
        },
      },
    };
  }
  if (lastStatus === 'RUNNING') {
    return {
      ...base,
      ready: !init && container?.healthStatus !== 'UNHEALTHY',
      started: true,
      state: { running: { startedAt: task.startedAt ?? task.createdAt ?? observed.firstSeen } },
    };
  }
  return {
    ...base,
    state: {
      waiting: { reason: STARTING.has(task.lastStatus ?? '') ? 'ContainerCreating' : 'PodInitializing' },
    },
  };
}
