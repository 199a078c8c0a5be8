import type { V1ContainerStatus, V1PodCondition, V1PodSpec } from '@kubernetes/client-node';

import { anyAppContainerStarted, isRestartableInit, type PodPhase } from './phase.js';

/** The condition types the kubelet owns, in the order it reports them. */
export const KUBELET_CONDITIONS = [
  'PodReadyToStartContainers',
  'Initialized',
  'Ready',
  'ContainersReady',
  'PodScheduled',
] as const;

type Condition = Omit<V1PodCondition, 'lastTransitionTime'>;

/** Go's `%s` of a string slice, as the kubelet writes container lists in condition messages. */
const list = (names: readonly string[]): string => `[${names.join(' ')}]`;

function containersReady(
  spec: V1PodSpec,
  statuses: ReadonlyMap<string, V1ContainerStatus>,
  phase: PodPhase,
): Condition {
  if (phase === 'Succeeded') return { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  if (phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: 'PodFailed' };
  const unready: string[] = [];
  for (const container of [...(spec.initContainers ?? []).filter(isRestartableInit), ...spec.containers]) {
    if (statuses.get(container.name)?.ready !== true) unready.push(container.name);
  }
  if (unready.length === 0) return { type: 'ContainersReady', status: 'True' };
  return {
    type: 'ContainersReady',
    status: 'False',
    reason: 'ContainersNotReady',
    message: `containers with unready status: ${list(unready)}`,
  };
}

function initialized(
  spec: V1PodSpec,
  statuses: ReadonlyMap<string, V1ContainerStatus>,
  phase: PodPhase,
): Condition {
  if (phase === 'Succeeded') return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  if (anyAppContainerStarted(spec, statuses)) return { type: 'Initialized', status: 'True' };
  const incomplete = (spec.initContainers ?? [])
    .filter(container => {
      const status = statuses.get(container.name);
      return isRestartableInit(container) ? status?.started !== true : status?.ready !== true;
    })
    .map(container => container.name);
  if (incomplete.length === 0) return { type: 'Initialized', status: 'True' };
  return {
    type: 'Initialized',
    status: 'False',
    reason: 'ContainersNotInitialized',
    message: `containers with incomplete status: ${list(incomplete)}`,
  };
}

/**
 * The kubelet's five pod conditions (`status.Generate*Condition`). A condition keeps its
 * `lastTransitionTime` from `previous` while its status stays the same, as the kubelet's status
 * manager does, so an unchanged pod yields an identical status.
 */
export function podConditions(
  spec: V1PodSpec,
  statuses: ReadonlyMap<string, V1ContainerStatus>,
  phase: PodPhase,
  sandboxReady: boolean,
  previous: readonly V1PodCondition[] | undefined,
  now: Date,
): V1PodCondition[] {
  const ready = containersReady(spec, statuses, phase);
  const conditions: Condition[] = [
    { type: 'PodReadyToStartContainers', status: sandboxReady ? 'True' : 'False' },
    initialized(spec, statuses, phase),
    { ...ready, type: 'Ready' },
    ready,
    { type: 'PodScheduled', status: 'True' },
  ];
  return conditions.map(condition => {
    const before = previous?.find(candidate => candidate.type === condition.type);
    const lastTransitionTime =
      before?.status === condition.status && before.lastTransitionTime ? before.lastTransitionTime : now;
    return { ...condition, lastTransitionTime };
  });
}
