import type { V1ConfigMap, V1Node, V1Pod, V1PodStatus, V1Secret, V1Service } from '@kubernetes/client-node';
import type { Duplex, Readable, Writable } from 'node:stream';

import type { Logger } from './logger.js';
import type { MetricMeter } from './metrics.js';
import type { StatsSummary } from './stats.js';

/**
 * Every provider call takes an AbortSignal. Core aborts it when the controller shuts down, when the
 * call times out, or (for streams) when the client goes away; a provider passes it on to its backend
 * client so that no call outlives its purpose.
 */
export interface CallOptions {
  signal: AbortSignal;
}

/**
 * The pod lifecycle every provider implements. Pods handed to a provider are copies that it may keep;
 * pods it returns are treated as immutable by core. Errors are signalled with the errdefs classes:
 * NotFoundError, InvalidInputError (the pod cannot run as given), TransientError (retry later); any
 * other error is retried with backoff too.
 */
export interface PodLifecycleHandler {
  /**
   * Start the pod in the backend. Env is already resolved (envFrom, valueFrom and `$(VAR)` expanded
   * into `env`). Must be idempotent by pod UID: a second call for a pod already running (a retry,
   * a restart of the agent) must not start a second copy.
   */
  createPod(pod: V1Pod, options: CallOptions): Promise<void>;
  /** Apply a changed spec (images of running containers, activeDeadlineSeconds, labels, annotations). */
  updatePod(pod: V1Pod, options: CallOptions): Promise<void>;
  /**
   * Stop the pod and release every backend resource it holds. May be called more than once; an
   * unknown pod is a NotFoundError (core treats it as already deleted). After deletion a notifying
   * provider reports a terminal status.
   */
  deletePod(pod: V1Pod, options: CallOptions): Promise<void>;
  /** The pod as the backend runs it (spec as created, current status); NotFoundError if absent. */
  getPod(namespace: string, name: string, options: CallOptions): Promise<V1Pod>;
  /** The current status of a pod; NotFoundError if absent. */
  getPodStatus(namespace: string, name: string, options: CallOptions): Promise<V1PodStatus>;
  /** Every pod the backend runs for this node, including ones started by an earlier process. */
  getPods(options: CallOptions): Promise<V1Pod[]>;
}

/**
 * Optional: a provider that pushes status changes instead of being polled. `notifyPods` is called once
 * at start-up; the provider then calls `callback` with the whole pod (metadata identifying it, status
 * current) whenever the status changes. The callback never blocks for long and may be called from any
 * context. Without this, core polls `getPodStatus` concurrently.
 */
export interface PodNotifier {
  notifyPods(callback: (pod: V1Pod) => void): void;
}

/** Optional node-level hooks. */
export interface NodeProvider {
  /**
   * Fill in the Node before it is registered: capacity, allocatable, addresses, node info, labels,
   * conditions. Called once at start-up with core's defaults in place.
   */
  configureNode?(node: V1Node): void | Promise<void>;
  /** Health of the backend; a rejection turns the node NotReady. Core applies a timeout. */
  ping?(options: CallOptions): Promise<void>;
  /** Push node status changes (capacity, conditions) as they happen. */
  notifyNodeStatus?(callback: (node: V1Node) => void): void;
}

/**
 * Kubelet container log options, validated by core. Core applies all but `follow` and `previous`
 * itself (see `applyLogOptions`); a provider must honour those two.
 */
export interface ContainerLogOptions {
  /** Last N lines of the history (lines before END_OF_HISTORY); 0 shows none. */
  tailLines?: number;
  /** Stop after this many bytes of output, cutting mid-line. */
  limitBytes?: number;
  /** Prefix each line with its RFC 3339 time. */
  timestamps: boolean;
  /** Keep streaming new lines until the signal aborts or the container ends. */
  follow: boolean;
  /** Logs of the container's previous run (before its last restart) instead of the current one. */
  previous: boolean;
  /** Only lines from the last N seconds (core resolves it against the request time). */
  sinceSeconds?: number;
  /** Only lines at or after this time; wins over sinceSeconds. */
  sinceTime?: Date;
}

/** One log line as the backend recorded it: the text without its trailing newline. */
export interface LogEntry {
  /** When the backend recorded the line; used for `since` and `timestamps`. */
  time: Date;
  text: string;
  /** Which stream wrote it, when the backend knows. */
  stream?: 'stdout' | 'stderr';
}

/**
 * Marker a following log iterable yields once, after the lines already written and before live ones,
 * so core can apply tailLines to the history only.
 */
export const END_OF_HISTORY: unique symbol = Symbol.for('@vkubelet/logs:end-of-history');
export type LogItem = LogEntry | typeof END_OF_HISTORY;

export interface TerminalSize {
  width: number;
  height: number;
}

/** The streams of an exec or attach session. Absent streams were not requested by the client. */
export interface AttachIO {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty: boolean;
  /** Terminal resizes from the client (tty sessions only). */
  resize?: AsyncIterable<TerminalSize>;
}

/** A pod, as streaming calls name it. */
export interface PodRef {
  namespace: string;
  name: string;
  /** When set, a pod of that name with another UID (an older or newer copy) counts as not found. */
  uid?: string;
}

/** Optional capabilities; core detects each by the presence of the method and answers 501 without it. */
export interface ProviderCapabilities {
  /**
   * Log lines of a container, oldest first. Core applies sinceTime/sinceSeconds, tailLines,
   * limitBytes and timestamps itself, so a provider may ignore them (honouring them is an
   * optimisation). With `follow` the iterable continues with new lines until `signal` aborts or the
   * container ends, yielding END_OF_HISTORY between old and new lines.
   */
  getContainerLogs?(
    pod: PodRef,
    container: string,
    options: ContainerLogOptions & CallOptions,
  ): Promise<AsyncIterable<LogItem>>;
  /**
   * Run `command` in a container; resolves with its exit code once it ends. NotFoundError for an
   * unknown pod or container; a non-zero exit is a result, not an error.
   */
  runInContainer?(
    pod: PodRef,
    container: string,
    command: string[],
    io: AttachIO,
    options: CallOptions,
  ): Promise<number>;
  /** Attach to the main process of a container; resolves when the session ends. */
  attachToContainer?(pod: PodRef, container: string, io: AttachIO, options: CallOptions): Promise<void>;
  /** Carry one forwarded connection to `port` in the pod; resolves when either side closes. */
  portForward?(pod: PodRef, port: number, stream: Duplex, options: CallOptions): Promise<void>;
  /** Node and pod resource usage in the kubelet Summary API shape. */
  getStatsSummary?(options: CallOptions): Promise<StatsSummary>;
}

/** Everything a provider is: the lifecycle plus any optional part. */
export interface Provider
  extends PodLifecycleHandler, Partial<PodNotifier>, NodeProvider, ProviderCapabilities {
  /**
   * True when the provider runs ephemeral containers (`kubectl debug`): core then passes a pod's
   * `spec.ephemeralContainers` to `createPod`/`updatePod` (a new one arrives through `updatePod`,
   * env resolved) and the provider reports them in `status.ephemeralContainerStatuses`. Otherwise
   * core keeps them from the provider, records an `EphemeralContainersNotSupported` event and
   * reports each as terminated with that reason, so `kubectl debug` says so instead of waiting.
   */
  readonly supportsEphemeralContainers?: boolean;
  /** Release connections and timers; called once on shutdown, after the controllers stop. */
  close?(): Promise<void>;
}

/**
 * Read access to the objects pods on this node refer to. Core keeps these in caches scoped to what
 * the node's pods need; a provider uses them for volumes (configMap, secret, projected).
 */
export interface ResourceLister {
  getConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<V1Secret | undefined>;
  listServices(namespace?: string): Promise<V1Service[]>;
}

/** Event types of the Kubernetes Event API. */
export type PodEventType = 'Normal' | 'Warning';

/**
 * Where a provider reports what its backend says about a pod (an image pull, a restart, a probe
 * failure) as Kubernetes Events on the pod, which `kubectl describe pod` shows. Never blocks, never
 * throws; repeats of an identical event are aggregated into one Event's series.
 */
export interface PodEventSink {
  event(pod: V1Pod, type: PodEventType, reason: string, note: string): void;
}

/** What core hands a provider factory. */
export interface ProviderContext {
  nodeName: string;
  operatingSystem: string;
  /** Address published as the node's InternalIP. */
  internalIP: string;
  /** Port of the kubelet API server, published in the Node's daemonEndpoints. */
  daemonPort: number;
  clusterDomain: string;
  /** Path of the provider's config file (`--provider-config`), if given. */
  configPath?: string;
  resources: ResourceLister;
  /** Events about pods, written to the API server as the kubelet writes its own. */
  events: PodEventSink;
  logger: Logger;
  metrics: MetricMeter;
}

/**
 * What a provider package exports as `plugin`, so `virtual-kubelet --provider <name>` can load it
 * (from `@vkubelet/provider-<name>`) without core depending on it.
 */
export interface ProviderPlugin {
  name: string;
  create(context: ProviderContext): Promise<Provider>;
}
