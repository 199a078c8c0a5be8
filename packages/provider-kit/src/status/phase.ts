import type { V1Container, V1ContainerStatus, V1PodSpec } from '@kubernetes/client-node';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** An init container with `restartPolicy: Always`: a sidecar that keeps running beside the app. */
export function isRestartableInit(container: V1Container): boolean {
  return container.restartPolicy === 'Always';
}

/** Whether an app container has run at all (running now, or terminated). */
export function anyAppContainerStarted(
  spec: V1PodSpec,
  statuses: ReadonlyMap<string, V1ContainerStatus>,
): boolean {
  return spec.containers.some(container => {
    const state = statuses.get(container.name)?.state;
    return state?.running !== undefined || state?.terminated !== undefined;
  });
}

/**
 * The kubelet's `getPhase`: the phase from the container statuses (by container name, init and app),
 * the restart policy, and whether the pod is over for good (`podIsTerminal`: deleted, or stopped by
 * the backend), in which case stopped containers make it Succeeded or Failed whatever the policy.
 */
export function podPhase(
  spec: V1PodSpec,
  statuses: ReadonlyMap<string, V1ContainerStatus>,
  podIsTerminal: boolean,
): PodPhase {
  let pendingInitialization = 0;
  let failedInitialization = 0;
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const container of spec.initContainers ?? []) {
    const status = statuses.get(container.name);
    const state = status?.state;
    if (isRestartableInit(container)) {
      if (!status) unknown++;
      else if (state?.running) {
        if (status.started !== true) pendingInitialization++;
        running++;
      } else if (state?.terminated) {
        // A stopped sidecar does not count towards the phase.
      } else if (state?.waiting) {
        if (!status.lastState?.terminated) {
          pendingInitialization++;
          waiting++;
        }
      } else {
        pendingInitialization++;
        unknown++;
      }
      continue;
    }
    if (!status || state?.running) pendingInitialization++;
    else if (state?.terminated) {
      if (state.terminated.exitCode !== 0) failedInitialization++;
    } else if (state?.waiting && status.lastState?.terminated) {
      if (status.lastState.terminated.exitCode !== 0) failedInitialization++;
    } else pendingInitialization++;
  }
  for (const container of spec.containers) {
    const status = statuses.get(container.name);
    const state = status?.state;
    if (!status) unknown++;
    else if (state?.running) running++;
    else if (state?.terminated) {
      stopped++;
      if (state.terminated.exitCode === 0) succeeded++;
    } else if (state?.waiting) {
      if (status.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  const policy = spec.restartPolicy ?? 'Always';
  if (failedInitialization > 0 && policy === 'Never') return 'Failed';
  if ((pendingInitialization > 0 && !anyAppContainerStarted(spec, statuses)) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    return policy === 'Never' ? 'Failed' : 'Running';
  }
  return 'Pending';
}
