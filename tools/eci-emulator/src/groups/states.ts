import type { V1ContainerState } from '@kubernetes/client-node';

import { eciTime } from './time.js';

type Wire = Record<string, unknown>;

/** A container state as DescribeContainerGroups reports it (CurrentState / PreviousState). */
export function eciContainerState(state: V1ContainerState | undefined): Wire {
  if (state?.running) {
    return {
      State: 'Running',
      DetailStatus: '',
      Reason: 'Started',
      ...(state.running.startedAt ? { StartTime: eciTime(state.running.startedAt) } : {}),
    };
  }
  if (state?.terminated) {
    const terminated = state.terminated;
    return {
      State: 'Terminated',
      DetailStatus: terminated.reason ?? '',
      Reason: terminated.reason ?? '',
      ExitCode: terminated.exitCode,
      ...(terminated.message ? { Message: terminated.message } : {}),
      ...(terminated.signal !== undefined ? { Signal: terminated.signal } : {}),
      ...(terminated.startedAt ? { StartTime: eciTime(terminated.startedAt) } : {}),
      ...(terminated.finishedAt ? { FinishTime: eciTime(terminated.finishedAt) } : {}),
    };
  }
  const reason = state?.waiting?.reason ?? 'ContainerCreating';
  return {
    State: 'Waiting',
    DetailStatus: reason,
    Reason: reason,
    ...(state?.waiting?.message ? { Message: state.waiting.message } : {}),
  };
}

/** A container state in the Kubernetes shape DescribeContainerGroupStatus reports. */
export function kubeContainerState(state: V1ContainerState | undefined): Wire {
  if (state?.running) {
    return { Running: { StartedAt: state.running.startedAt ? eciTime(state.running.startedAt) : undefined } };
  }
  if (state?.terminated) {
    const terminated = state.terminated;
    return {
      Terminated: {
        ExitCode: terminated.exitCode,
        Reason: terminated.reason,
        ...(terminated.message ? { Message: terminated.message } : {}),
        ...(terminated.signal !== undefined ? { Signal: terminated.signal } : {}),
        ...(terminated.startedAt ? { StartedAt: eciTime(terminated.startedAt) } : {}),
        ...(terminated.finishedAt ? { FinishedAt: eciTime(terminated.finishedAt) } : {}),
      },
    };
  }
  return {
    Waiting: {
      Reason: state?.waiting?.reason ?? 'ContainerCreating',
      ...(state?.waiting?.message ? { Message: state.waiting.message } : {}),
    },
  };
}
