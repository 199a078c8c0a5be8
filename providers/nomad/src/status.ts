import type {
  V1Container,
  V1ContainerState,
  V1ContainerStateTerminated,
  V1Pod,
} from '@kubernetes/client-node';
import type { ContainerObservation, PodObservation } from '@vkubelet/provider-kit';

import {
  NANOS_PER_MS,
  ZERO_TIME,
  type AllocationListStub,
  type TaskEvent,
  type TaskState,
} from './nomad/types.js';

/** What the provider keeps per pod: its job and allocations as Nomad last reported them. */
export interface JobState {
  jobId: string;
  /**
   * The CreateIndex of this pod's job. Allocations created before it belong to an earlier pod of the
   * same name (a purged job registered again keeps its ID).
   */
  createIndex: number;
  /** What the last job list said about the job; absent until it was listed. */
  job?: { stop: boolean; status: string } | undefined;
  /** The job's allocations since `createIndex`, oldest first. */
  allocs: readonly AllocationListStub[];
  /** deletePod purged the job: the pod ends once its allocations have stopped. */
  purged: boolean;
  /** When this process first saw the pod: its start time until an allocation has one. */
  firstSeen: Date;
  /** Bridge networking: each allocation's own address (`NetworkStatus.Address`), by allocation ID. */
  addresses?: Readonly<Record<string, string>> | undefined;
}

/** Allocation client states that do not change any more. */
const TERMINAL = new Set(['complete', 'failed', 'lost']);

export function allocTerminal(alloc: AllocationListStub): boolean {
  return TERMINAL.has(alloc.ClientStatus);
}

/** The allocation that speaks for the pod: the newest one Nomad wants running, else the newest. */
export function currentAllocation(allocs: readonly AllocationListStub[]): AllocationListStub | undefined {
  for (let i = allocs.length - 1; i >= 0; i--) if (allocs[i]!.DesiredStatus === 'run') return allocs[i];
  return allocs.at(-1);
}

const time = (rfc3339: string | null | undefined): Date | undefined =>
  rfc3339 && rfc3339 !== ZERO_TIME ? new Date(rfc3339) : undefined;

const eventTime = (event: TaskEvent): Date => new Date(event.Time / NANOS_PER_MS);

function started(state: TaskState): boolean {
  return time(state.StartedAt) !== undefined;
}

/** The Terminated events of a task (Nomad keeps its last ten events), newest last. */
function terminations(state: TaskState): TaskEvent[] {
  return (state.Events ?? []).filter(event => event.Type === 'Terminated');
}

/** A run's end as Kubernetes says it, from Nomad's Terminated event. */
function terminatedBy(
  event: TaskEvent,
  startedAt: Date | undefined,
  lost: boolean,
): V1ContainerStateTerminated {
  const oom = event.Details?.['oom_killed'] === 'true';
  return {
    exitCode: event.ExitCode ?? 0,
    ...(event.Signal ? { signal: event.Signal } : {}),
    ...(oom ? { reason: 'OOMKilled' } : lost ? { reason: 'NodeLost' } : {}),
    ...(startedAt ? { startedAt } : {}),
    finishedAt: eventTime(event),
  };
}

/** Why a task that never ran is dead: the driver's failure, or the allocation ended first. */
function neverRan(state: TaskState, alloc: AllocationListStub): V1ContainerStateTerminated | undefined {
  const events = state.Events ?? [];
  const failure = events.findLast(event => event.Type === 'Driver Failure' || event.Type === 'Setup Failure');
  if (failure) {
    return {
      exitCode: 128,
      reason: 'StartError',
      message: failure.DriverError || failure.DisplayMessage || failure.Type,
      finishedAt: eventTime(failure),
    };
  }
  if (!allocTerminal(alloc)) return undefined;
  const last = events.at(-1);
  return {
    exitCode: 137,
    reason: alloc.ClientStatus === 'lost' ? 'NodeLost' : 'ContainerStatusUnknown',
    message: `the task never started: ${last?.DisplayMessage || alloc.ClientDescription || alloc.ClientStatus}`,
    ...(last ? { finishedAt: eventTime(last) } : {}),
  };
}

/** How the task's last run in an allocation ended, if it ran. */
function lastRun(state: TaskState | undefined, alloc: AllocationListStub): V1ContainerState | undefined {
  if (!state || !started(state)) return undefined;
  const ended = terminations(state).at(-1);
  if (ended) return { terminated: terminatedBy(ended, time(state.StartedAt), alloc.ClientStatus === 'lost') };
  // A lost allocation's task was running when its node went away.
  return {
    terminated: {
      exitCode: 137,
      reason: 'NodeLost',
      message: alloc.ClientDescription || 'the Nomad client was lost',
      ...(time(state.StartedAt) ? { startedAt: time(state.StartedAt) } : {}),
      ...(time(state.FinishedAt) ? { finishedAt: time(state.FinishedAt) } : {}),
    },
  };
}

/**
 * One container, from its task in the current allocation and the runs of earlier allocations (a
 * replacement after a failure or a lost node counts as a restart, as a kubelet restart would).
 */
function observeTask(
  container: V1Container,
  current: AllocationListStub | undefined,
  earlier: readonly AllocationListStub[],
): ContainerObservation {
  const name = container.name;
  let restartCount = 0;
  let previous: V1ContainerState | undefined;
  for (const alloc of earlier) {
    const state = alloc.TaskStates?.[name];
    if (!state) continue;
    restartCount += state.Restarts + (started(state) ? 1 : 0);
    previous = lastRun(state, alloc) ?? previous;
  }
  const observed: ContainerObservation = { name, image: container.image ?? '' };
  const state = current?.TaskStates?.[name];
  if (!current || !state) {
    return { ...observed, restartCount, ...(previous ? { lastState: previous } : {}) };
  }
  restartCount += state.Restarts;
  observed.restartCount = restartCount;
  observed.containerID = `nomad://${current.ID}/${name}`;
  const ends = terminations(state);
  // Within the allocation, the run before the latest one ended with the newest Terminated event
  // (while the task waits to restart or runs again) or the one before it (once it is dead).
  const priorInAlloc = (skip: number) => {
    const event = ends.at(-1 - skip);
    return event ? { terminated: terminatedBy(event, undefined, false) } : undefined;
  };
  if (state.State === 'running') {
    observed.state = { running: { ...(time(state.StartedAt) ? { startedAt: time(state.StartedAt) } : {}) } };
    const last = state.Restarts > 0 ? priorInAlloc(0) : previous;
    if (last) observed.lastState = last;
  } else if (state.State === 'pending') {
    const last = state.Restarts > 0 ? priorInAlloc(0) : previous;
    if (last) observed.lastState = last;
    const failure = (state.Events ?? []).findLast(event => event.Type === 'Driver Failure');
    if (failure && !last) {
      const message = failure.DriverError || failure.DisplayMessage || '';
      observed.state = {
        waiting: { reason: /image|pull/i.test(message) ? 'ErrImagePull' : 'CreateContainerError', message },
      };
    }
  } else {
    const ended = started(state) ? lastRun(state, current) : undefined;
    const terminated = ended?.terminated ?? neverRan(state, current);
    if (terminated) {
      observed.state = { terminated };
      const last = state.Restarts > 0 ? priorInAlloc(1) : previous;
      if (last) observed.lastState = last;
    } else if (previous) {
      observed.lastState = previous;
    }
  }
  return observed;
}

/**
 * The pod IP: in bridge networking the allocation's own address, once known; in host networking its
 * group network's address, else its node's (`nodeAddress`).
 */
function allocationIP(
  alloc: AllocationListStub | undefined,
  state: JobState,
  nodeAddress: (nodeId: string) => string | undefined,
): string | undefined {
  if (!alloc?.NodeID) return undefined;
  const network = alloc.AllocatedResources?.Shared?.Networks?.[0];
  if (network?.Mode === 'bridge') return state.addresses?.[alloc.ID];
  return network?.IP || nodeAddress(alloc.NodeID);
}

/**
 * A pod's Nomad job and allocations in Kubernetes terms, for `buildPodStatus`. The current
 * allocation gives the containers' states; earlier ones (replaced after a failure or a lost node)
 * count as restarts. A job stopped in Nomad, or purged by deletePod, ends the pod.
 */
export function observeJob(
  pod: V1Pod,
  state: JobState,
  nodeAddress: (nodeId: string) => string | undefined,
): PodObservation {
  const current = currentAllocation(state.allocs);
  const earlier = current ? state.allocs.filter(alloc => alloc.CreateIndex < current.CreateIndex) : [];
  const observe = (container: V1Container) => observeTask(container, current, earlier);
  const ip = allocationIP(current, state, nodeAddress);
  const first = state.allocs[0];
  const stoppedOutside = state.job?.stop === true && !state.purged;
  const stopped = state.purged || state.job?.stop === true;
  return {
    initContainers: (pod.spec?.initContainers ?? []).map(observe),
    containers: (pod.spec?.containers ?? []).map(observe),
    ...(ip ? { podIPs: [ip] } : {}),
    startTime: first ? new Date(first.CreateTime / NANOS_PER_MS) : state.firstSeen,
    stopped,
    ...(stoppedOutside
      ? { reason: 'JobStopped', message: `the Nomad job ${state.jobId} was stopped outside Kubernetes` }
      : {}),
  };
}
