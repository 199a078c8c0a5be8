import type {
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1Pod,
  V1PodStatus,
} from '@kubernetes/client-node';

import { podConditions } from './conditions.js';
import { podPhase, type PodPhase } from './phase.js';
import { podQOSClass } from './qos.js';

/**
 * What a backend knows about one container, in Kubernetes terms. Leave out what the backend does not
 * know: `buildPodStatus` fills in the kubelet's defaults (waiting reasons, Completed/Error, readiness).
 */
export interface ContainerObservation {
  /** The container's name in the pod spec. */
  name: string;
  /**
   * Its current state. Absent: not created yet (waiting, ContainerCreating or PodInitializing). A
   * `waiting` without reason becomes CrashLoopBackOff after a run, the default reason before one; a
   * `terminated` without reason becomes Completed (exit code 0) or Error.
   */
  state?: V1ContainerState;
  /** How its previous run ended (`kubectl describe`'s Last State), after a restart. */
  lastState?: V1ContainerState;
  restartCount?: number;
  /** The backend's readiness probe verdict; without one a running container is ready. */
  ready?: boolean;
  /** The backend's startup probe verdict; without one a running container has started. */
  started?: boolean;
  /** The image the backend runs (default: the spec's). */
  image?: string;
  /** The resolved image (digest) the backend reports. */
  imageID?: string;
  /** `<runtime>://<id>`, once the backend has created the container. */
  containerID?: string;
}

/** What a backend knows about a pod, in Kubernetes terms: the input of `buildPodStatus`. */
export interface PodObservation {
  /** App containers, matched to the spec by name; a container left out is not created yet. */
  containers?: readonly ContainerObservation[];
  initContainers?: readonly ContainerObservation[];
  /** The pod's addresses, primary first. */
  podIPs?: readonly string[];
  /**
   * The pod's sandbox (network, group, task) is up: PodReadyToStartContainers. Default: a pod IP is
   * known or a container has run, unless the pod is `stopped`.
   */
  sandboxReady?: boolean;
  /** When the backend started the pod; used until a status with a startTime was reported. */
  startTime?: Date;
  /**
   * The pod is over for good (deleted, or ended by its backend): containers will not be restarted,
   * so once they have stopped the phase is Succeeded or Failed whatever the restart policy.
   */
  stopped?: boolean;
  /** A verdict the containers cannot express (the kubelet's activeDeadlineSeconds, an eviction). */
  phase?: 'Succeeded' | 'Failed';
  /** Pod-level reason and message (DeadlineExceeded, Evicted, a backend's stop reason). */
  reason?: string;
  message?: string;
}

export interface BuildPodStatusOptions {
  /**
   * The status reported before: conditions keep their transition times, startTime and qosClass stay,
   * and a terminal phase never changes. On the first build, the pod's status from the API server.
   */
  previous?: V1PodStatus | undefined;
  /** The node's InternalIP, reported as the pod's hostIP. */
  hostIP?: string | undefined;
  /** The time of transitions seen in this build (default: now). */
  now?: Date | undefined;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

/** A terminated state with the runtime's reason: Completed for exit code 0, Error otherwise. */
function withEndReason(state: V1ContainerState): V1ContainerState {
  const terminated = state.terminated;
  if (!terminated || terminated.reason) return state;
  return { terminated: { ...terminated, reason: terminated.exitCode === 0 ? 'Completed' : 'Error' } };
}

function normalizedState(
  observed: ContainerObservation | undefined,
  defaultReason: string,
): V1ContainerState {
  const state = observed?.state;
  if (state?.running) return state;
  if (state?.terminated) return withEndReason(state);
  if (state?.waiting?.reason) return state;
  const reason = observed?.lastState?.terminated ? 'CrashLoopBackOff' : defaultReason;
  return { waiting: { ...state?.waiting, reason } };
}

function containerStatus(
  container: V1Container,
  observed: ContainerObservation | undefined,
  init: boolean,
  defaultReason: string,
): V1ContainerStatus {
  const state = normalizedState(observed, defaultReason);
  const running = state.running !== undefined;
  // Regular init containers are ready once they succeeded; sidecars and app containers while they run.
  const ready =
    init && container.restartPolicy !== 'Always'
      ? state.terminated?.exitCode === 0
      : running && (observed?.ready ?? true);
  const status: V1ContainerStatus = {
    name: container.name,
    image: observed?.image ?? container.image ?? '',
    imageID: observed?.imageID ?? '',
    ready,
    started: running && (observed?.started ?? true),
    restartCount: observed?.restartCount ?? 0,
    state,
    lastState: observed?.lastState ? withEndReason(observed.lastState) : {},
  };
  if (observed?.containerID) status.containerID = observed.containerID;
  return status;
}

/** The observation of a container by name (pods have a handful of containers: a scan beats a map). */
function observationOf(
  list: readonly ContainerObservation[] | undefined,
  name: string,
): ContainerObservation | undefined {
  if (!list) return undefined;
  for (const observed of list) if (observed.name === name) return observed;
  return undefined;
}

/**
 * The pod status a kubelet would report for what the backend observed: container statuses with the
 * kubelet's default reasons, the phase (`getPhase`), the five kubelet conditions with transition
 * times kept from `previous`, qosClass, startTime, pod and host IPs. Every provider reports through
 * this, so `kubectl get pods` reads the same on every backend.
 */
export function buildPodStatus(
  pod: V1Pod,
  observed: PodObservation,
  options: BuildPodStatusOptions = {},
): V1PodStatus {
  const spec = pod.spec ?? { containers: [] };
  const previous = options.previous;
  const now = options.now ?? new Date();
  const initSpecs = spec.initContainers ?? [];
  const defaultReason = initSpecs.length > 0 ? 'PodInitializing' : 'ContainerCreating';
  const statuses = new Map<string, V1ContainerStatus>();
  const initStatuses = initSpecs.map(container =>
    containerStatus(container, observationOf(observed.initContainers, container.name), true, defaultReason),
  );
  const appStatuses = spec.containers.map(container =>
    containerStatus(container, observationOf(observed.containers, container.name), false, defaultReason),
  );
  for (const status of initStatuses) statuses.set(status.name, status);
  for (const status of appStatuses) statuses.set(status.name, status);
  // The kubelet lists app containers by name, init containers in spec order.
  if (appStatuses.length > 1) appStatuses.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const stopped = observed.stopped === true;
  let phase: PodPhase = observed.phase ?? podPhase(spec, statuses, stopped);
  let reason = observed.reason;
  let message = observed.message;
  if (previous?.phase && TERMINAL.has(previous.phase) && previous.phase !== phase) {
    // Pods do not leave a terminal phase: the API server would refuse it.
    phase = previous.phase as PodPhase;
    reason = previous.reason;
    message = previous.message;
  } else if (reason === undefined && previous?.phase === phase) {
    reason = previous.reason;
    message = previous.message;
  }

  const podIPs = observed.podIPs ?? [];
  const sandboxReady =
    observed.sandboxReady ??
    (!stopped &&
      (podIPs.length > 0 ||
        [...statuses.values()].some(s => s.state?.running !== undefined || s.lastState?.terminated)));
  const status: V1PodStatus = {
    phase,
    conditions: podConditions(spec, statuses, phase, sandboxReady, previous?.conditions, now),
  };
  if (reason) status.reason = reason;
  if (message) status.message = message;
  if (options.hostIP) {
    status.hostIP = options.hostIP;
    status.hostIPs = [{ ip: options.hostIP }];
  }
  if (podIPs.length > 0) {
    status.podIP = podIPs[0];
    status.podIPs = podIPs.map(ip => ({ ip }));
  }
  const startTime = previous?.startTime ?? observed.startTime;
  if (startTime) status.startTime = startTime;
  if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
  status.containerStatuses = appStatuses;
  status.qosClass = previous?.qosClass ?? podQOSClass(pod);
  return status;
}

/** What the kubelet reports for a container whose end it could not see (its TerminatePod). */
const UNKNOWN_END: V1ContainerState = {
  terminated: {
    exitCode: 137,
    reason: 'ContainerStatusUnknown',
    message: 'The container could not be located when the pod was terminated',
  },
};

/**
 * What to observe for a pod whose backend object is gone (deleted, or lost behind the provider's
 * back), from the last status reported: as the kubelet's TerminatePod, app containers that had not
 * ended are terminated with exit code 137 (ContainerStatusUnknown), as are init containers before
 * the last one that started; the pod is Failed unless it had already ended.
 */
export function goneObservation(last: V1PodStatus | undefined): PodObservation {
  const observe = (status: V1ContainerStatus, terminate: boolean): ContainerObservation => ({
    name: status.name,
    image: status.image,
    imageID: status.imageID,
    restartCount: status.restartCount,
    ...(status.containerID ? { containerID: status.containerID } : {}),
    ...(status.lastState ? { lastState: status.lastState } : {}),
    ...(status.state?.terminated || !terminate ? { state: status.state ?? {} } : { state: UNKNOWN_END }),
  });
  const inits = last?.initContainerStatuses ?? [];
  const lastStarted = inits.findLastIndex(
    s => s.state?.running !== undefined || s.state?.terminated !== undefined,
  );
  return {
    containers: (last?.containerStatuses ?? []).map(status => observe(status, true)),
    initContainers: inits.map((status, index) => observe(status, index <= lastStarted)),
    stopped: true,
    sandboxReady: false,
    phase: 'Failed',
  };
}
