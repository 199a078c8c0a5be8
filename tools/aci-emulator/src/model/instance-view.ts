import type { V1ContainerState } from '@kubernetes/client-node';

/** `ContainerState` of the definition: what ACI says about one run of a container. */
export interface AciContainerState {
  state: string;
  startTime?: string;
  exitCode?: number;
  finishTime?: string;
  detailStatus?: string;
}

function iso(time: Date | string | undefined): string | undefined {
  if (time === undefined) return undefined;
  return (time instanceof Date ? time : new Date(time)).toISOString();
}

/** The mock runtime's reasons, as ACI words a terminated container's detailStatus. */
const TERMINATED_DETAIL: Record<string, string> = {
  Completed: 'Completed',
  Error: 'Error',
  // The runtime stops every container when the group is stopped or deleted.
  MockProviderPodContainerDeleted: 'Killed',
  DeadlineExceeded: 'DeadlineExceeded',
};

/** Maps a container state of the mock's process model to ACI's (Waiting / Running / Terminated). */
export function aciContainerState(state: V1ContainerState): AciContainerState {
  if (state.running) {
    return { state: 'Running', startTime: iso(state.running.startedAt), detailStatus: '' };
  }
  if (state.terminated) {
    const terminated = state.terminated;
    return {
      state: 'Terminated',
      ...(terminated.startedAt ? { startTime: iso(terminated.startedAt) } : {}),
      exitCode: terminated.exitCode,
      ...(terminated.finishedAt ? { finishTime: iso(terminated.finishedAt) } : {}),
      detailStatus: TERMINATED_DETAIL[terminated.reason ?? ''] ?? terminated.reason ?? '',
    };
  }
  const reason = state.waiting?.reason ?? 'ContainerCreating';
  return { state: 'Waiting', detailStatus: reason === 'PodInitializing' ? 'ContainerCreating' : reason };
}
