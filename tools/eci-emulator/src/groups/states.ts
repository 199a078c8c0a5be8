import type { V1ContainerState } from '@kubernetes/client-node';

import { eciTime } from './time.js';

/** Serialized with JSON.stringify: members whose value is undefined are left out. */
type Wire = Record<string, unknown>;

function time(value: Date | undefined): string | undefined {
  return value ? eciTime(value) : undefined;
}

/** A container state as DescribeContainerGroups reports it (CurrentState / PreviousState). */
export function eciContainerState(state: V1ContainerState | undefined): Wire {
  if (state?.running) {
    return {
      State: 'Running',
      DetailStatus: '',
      Reason: 'Started',
      StartTime: time(state.running.startedAt),
    };
  }
  if (state?.terminated) {
    const terminated = state.terminated;
    return {
      State: 'Terminated',
      DetailStatus: terminated.reason ?? '',
      Reason: terminated.reason ?? '',
      ExitCode: terminated.exitCode,
      Message: terminated.message,
      Signal: terminated.signal,
      StartTime: time(terminated.startedAt),
      FinishTime: time(terminated.finishedAt),
    };
  }
  const reason = state?.waiting?.reason ?? 'ContainerCreating';
  return { State: 'Waiting', DetailStatus: reason, Reason: reason, Message: state?.waiting?.message };
}

/** A container state in the Kubernetes shape DescribeContainerGroupStatus reports. */
export function kubeContainerState(state: V1ContainerState | undefined): Wire {
  if (state?.running) {
    return { Running: { StartedAt: time(state.running.startedAt) } };
  }
  if (state?.terminated) {
    const terminated = state.terminated;
    return {
      Terminated: {
        ExitCode: terminated.exitCode,
        Reason: terminated.reason,
        Message: terminated.message,
        Signal: terminated.signal,
        StartedAt: time(terminated.startedAt),
        FinishedAt: time(terminated.finishedAt),
      },
    };
  }
  return {
    Waiting: { Reason: state?.waiting?.reason ?? 'ContainerCreating', Message: state?.waiting?.message },
  };
}
