import type { Container as EcsContainer, Task } from '@aws-sdk/client-ecs';
import type { V1Container, V1ContainerState, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { buildPodStatus, type ContainerObservation, type PodObservation } from '@vkubelet/provider-kit';

/** ECS task states on the way to STOPPED: the containers may still be running (pod terminating). */
const STOPPING = new Set(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING']);

/** What the provider keeps per pod: the task as ECS last described it, and when it saw it. */
export interface TaskState {
  task: Task;
  /** When this process first saw the task: the start time when ECS reports none. */
  firstSeen: Date;
  /** When this process first saw the task STOPPED: the finish time when ECS reports none. */
  stoppedSeen?: Date | undefined;
}

/** The task's private IPv4 address, from its ENI attachment (awsvpc). */
export function taskIp(task: Task): string | undefined {
  for (const attachment of task.attachments ?? []) {
    if (attachment.type !== 'ElasticNetworkInterface') continue;
    const ip = attachment.details?.find(d => d.name === 'privateIPv4Address')?.value;
    if (ip) return ip;
  }
  return undefined;
}

/**
 * The container's state as ECS last reported it, corrected by the task's: a stopped task stops every
 * container, and ECS marks a task RUNNING only once its essential (app) containers have started,
 * while the per-container status can lag behind (moto never advances it at all). Init containers
 * keep their own status: they may still be waiting or have exited.
 */
function effectiveStatus(container: EcsContainer | undefined, task: Task, init: boolean): string {
  if (task.lastStatus === 'STOPPED') return 'STOPPED';
  const own = container?.lastStatus ?? 'PENDING';
  if (!init && task.lastStatus === 'RUNNING' && (own === 'PENDING' || own === 'PROVISIONING'))
    return 'RUNNING';
  return own;
}

/** ECS's reason for a stop, in the kubelet's words where they have one. */
function endReason(container: EcsContainer | undefined): string | undefined {
  const reason = container?.reason;
  return reason?.startsWith('OutOfMemoryError') ? 'OOMKilled' : reason;
}

function observeContainer(
  spec: V1Container,
  container: EcsContainer | undefined,
  state: TaskState,
  init: boolean,
): ContainerObservation {
  const { task } = state;
  const started = task.startedAt ?? task.createdAt ?? state.firstSeen;
  const status = effectiveStatus(container, task, init);
  const base: ContainerObservation = { name: spec.name };
  if (container?.image) base.image = container.image;
  if (container?.imageDigest) base.imageID = container.imageDigest;
  if (container?.runtimeId) base.containerID = `ecs://${container.runtimeId}`;
  let current: V1ContainerState | undefined;
  if (status === 'STOPPED') {
    // A task stopped before ECS recorded an exit code (StopTask, a failed pull) is reported as
    // killed, so the pod does not look like it succeeded.
    const message = container?.reason ?? task.stoppedReason;
    const reason = endReason(container);
    current = {
      terminated: {
        exitCode: container?.exitCode ?? 137,
        ...(reason ? { reason } : {}),
        ...(message ? { message } : {}),
        startedAt: started,
        finishedAt: task.stoppedAt ?? task.executionStoppedAt ?? state.stoppedSeen ?? state.firstSeen,
      },
    };
  } else if (status === 'RUNNING') {
    current = { running: { startedAt: started } };
    base.ready = container?.healthStatus !== 'UNHEALTHY' && !STOPPING.has(task.lastStatus ?? '');
  }
  return current ? { ...base, state: current } : base;
}

/** A pod's ECS task in Kubernetes terms (ECS tasks never restart a container). */
export function observeTask(pod: V1Pod, state: TaskState): PodObservation {
  const { task } = state;
  const byName = new Map((task.containers ?? []).map(c => [c.name, c]));
  const ip = taskIp(task);
  const stopped = task.lastStatus === 'STOPPED';
  return {
    initContainers: (pod.spec?.initContainers ?? []).map(c =>
      observeContainer(c, byName.get(c.name), state, true),
    ),
    containers: (pod.spec?.containers ?? []).map(c => observeContainer(c, byName.get(c.name), state, false)),
    ...(ip ? { podIPs: [ip] } : {}),
    startTime: task.createdAt ?? state.firstSeen,
    stopped,
    ...(stopped && task.stoppedReason
      ? { reason: task.stopCode ?? 'TaskStopped', message: task.stoppedReason }
      : {}),
  };
}

/**
 * Kubernetes status of a pod from its ECS task, by the kubelet's rules. Unlike the Go provider
 * (STOPPED was always Succeeded), a stopped task is Failed unless every essential container exited 0.
 */
export function podStatusFromTask(
  pod: V1Pod,
  task: Task,
  seen: Omit<TaskState, 'task'> = { firstSeen: new Date() },
  previous?: V1PodStatus,
): V1PodStatus {
  return buildPodStatus(pod, observeTask(pod, { ...seen, task }), { previous });
}
