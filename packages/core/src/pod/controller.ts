import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { context, ROOT_CONTEXT, trace, type Link } from '@opentelemetry/api';
import {
  errorMessage,
  inSpan,
  isAlreadyExists,
  isInvalidInput,
  isNotFound,
  noopLogger,
  noopMeter,
  podAttributes,
  SpanAttribute,
  type Logger,
  type MetricHistogram,
  type MetricMeter,
  type Provider,
  type ResourceLister,
} from '@vkubelet/provider-kit';

import type { PodEventRecorder } from '../events/types.js';
import { WorkQueue, type WorkItem } from '../queue/work-queue.js';
import { CoreAttribute, coreTracer } from '../tracing/tracer.js';
import { PodApiWriter } from './api-writer.js';
import { isPodRunning, isTerminalPhase, podKey, podsEqualForProvider, splitPodKey } from './compare.js';
import { EnvResolutionError } from './env/errors.js';
import {
  EPHEMERAL_NOT_SUPPORTED,
  refusedNote,
  refusedStatuses,
  withoutEphemeralContainers,
} from './ephemeral.js';
import { EnvEventReason } from './env/reasons.js';
import type { NodeAllocatable } from './env/resource-field-ref.js';
import { ProviderCalls } from './provider-calls.js';
import { resolveForProvider } from './resolve-for-provider.js';
import { danglingPods, deleteDangling, reconcileWithProvider } from './startup-reconcile.js';
import {
  configErrorStatus,
  deletedPodStatus,
  lostPodStatus,
  providerFailedStatus,
  showsConfigError,
  statusPatch,
} from './status.js';
import { publishPodPhases } from './phase-gauge.js';
import { pollStatuses } from './status-poller.js';
import { activePodTrace } from './pod-trace.js';
import type { PodApi, PodInformer, PodState } from './types.js';
import { reportedStatus, sameReport, withoutStatus } from './kept-state.js';
import { forEachConcurrently, uidOf } from './util.js';
import { abortableSleep } from '../util/abortable-sleep.js';

export interface PodControllerOptions {
  nodeName: string;
  /** Core's KubeClient (with the node's identity). */
  client: PodApi;
  /** Pods with spec.nodeName=<node>. */
  podInformer: PodInformer;
  resources: ResourceLister;
  provider: Provider;
  events: PodEventRecorder;
  /** Workers of the sync queue, which calls the provider (default 10, upstream's CLI default). */
  workers?: number;
  /**
   * Workers of the status and force-delete queues, which only write to the API server (default 10,
   * as upstream). Measured with 10,000 pods at 100/s on 2 cores: 50 made status p99 worse (1.8 s
   * against 0.7 s), as more connections and writes in flight only add to an API server already
   * using most of the CPU. A node whose API server has cores to spare may want more.
   */
  apiWorkers?: number;
  logger?: Logger;
  metrics?: MetricMeter;
  /** Status poll interval for providers without notifyPods (default 5 s, as upstream). */
  statusPollIntervalMs?: number;
  /** getPodStatus calls in flight while polling (default: workers). */
  pollConcurrency?: number;
  /** Timeout of each provider call (default 2 min). */
  providerCallTimeoutMs?: number;
  /** Node allocatable, for resourceFieldRef limits the container does not set. */
  allocatable?: NodeAllocatable;
  /** The node's IPs, for status.hostIP(s) when the provider reports no hostIP. */
  hostIPs?: readonly string[];
  /**
   * How long a Pending report from the provider waits for a newer one before it is written (default
   * 1 s). A provider that starts the pod within it costs one status write (Running) instead of two
   * (Pending, then Running), which is a third of the API server's status writes at high pod rates;
   * a slower one shows its Pending status this much later. Running and terminal reports go at once.
   * 0 writes every report as soon as it comes.
   */
  pendingStatusDelayMs?: number;
  /**
   * How often the provider's pods are checked against the API server's, to catch what no event
   * reports: a provider pod whose API pod is gone is deleted (a create the backend applied late
   * leaves one), a started pod the provider no longer has is marked Failed (lost out of band).
   * Default 60 s (`--full-resync-period`); 0 checks only at start-up.
   */
  inventoryResyncIntervalMs?: number;
  /** Retry backoff of failed keys (default 1 s doubling to 1 min, retried for ever: a missing ConfigMap is picked up within a minute of being created). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

/** True once the API server shows the pod started (Running) or ended: its phase never goes back. */
function hasStarted(phase: string | undefined): boolean {
  return phase === 'Running' || isTerminalPhase(phase);
}

/** How long a status that differs from the provider's report may stand before it is written again. */
const REPAIR_DELAY_MS = 1000;

const DEFAULT_PENDING_STATUS_DELAY_MS = 1000;

/** A report that a newer one (Running, or a failure) is expected to replace soon. */
function isPendingReport(status: V1PodStatus | undefined): boolean {
  return status?.phase === undefined || status.phase === 'Pending';
}

export const PodEventReason = {
  ProviderCreateSuccess: 'ProviderCreateSuccess',
  ProviderCreateFailed: 'ProviderCreateFailed',
  ProviderUpdateSuccess: 'ProviderUpdateSuccess',
  ProviderUpdateFailed: 'ProviderUpdateFailed',
  ProviderDeleteSuccess: 'ProviderDeleteSuccess',
  ProviderDeleteFailed: 'ProviderDeleteFailed',
} as const;

/**
 * Keeps the provider's pods in step with the pods bound to this node, and the API server's pod
 * status in step with the provider. Three keyed queues: `sync` (ns/name: create, update, delete in
 * the provider), `delete` (ns/name/uid: force delete from the API after the grace period) and
 * `status` (ns/name: patch pods/status from what the provider reports).
 */
export class PodController {
  private readonly options: PodControllerOptions;
  private readonly informer: PodInformer;
  private readonly calls: ProviderCalls;
  private readonly logger: Logger;
  private readonly states = new Map<string, PodState>();
  /** Keys reported in the current turn of the event loop, enqueued together at its end. */
  private readonly reportedKeys = new Set<string>();
  private readonly sync: WorkQueue;
  private readonly deletes: WorkQueue;
  private readonly status: WorkQueue;
  private readonly syncLatency: MetricHistogram;
  private readonly meter: MetricMeter;
  /** Whether start-up found out what the provider runs; if not, create checks getPod first. */
  private inventoryKnown = false;
  private readonly api: PodApiWriter;
  private running = false;
  private isReady = false;

  constructor(options: PodControllerOptions) {
    if (!options.nodeName) throw new TypeError('PodController: nodeName must not be empty');
    const workers = options.workers ?? 10;
    const apiWorkers = options.apiWorkers ?? 10;
    for (const [name, value] of [
      ['workers', workers],
      ['apiWorkers', apiWorkers],
    ] as const) {
      if (!Number.isInteger(value) || value < 1)
        throw new TypeError(`PodController: ${name} must be >= 1, got ${value}`);
    }
    this.options = options;
    this.informer = options.podInformer;
    this.api = new PodApiWriter(options.client);
    const meter = options.metrics ?? noopMeter;
    this.logger = (options.logger ?? noopLogger).child({
      component: 'pod-controller',
      node: options.nodeName,
    });
    this.calls = new ProviderCalls(options.provider, options.providerCallTimeoutMs ?? 120_000, meter);
    this.syncLatency = meter.histogram(
      'vkubelet_pod_sync_duration_seconds',
      'Duration of one pod sync, by queue',
      ['queue'],
      [0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120],
    );
    this.meter = meter;
    const queue = (
      name: string,
      spanName: string,
      queueWorkers: number,
      handler: (key: string, signal: AbortSignal) => Promise<void>,
    ) =>
      new WorkQueue({
        name,
        workers: queueWorkers,
        baseBackoffMs: options.baseBackoffMs ?? 1000,
        maxBackoffMs: options.maxBackoffMs ?? 60_000,
        metrics: meter,
        logger: this.logger,
        handler: async (key, signal, item) => {
          const started = performance.now();
          try {
            await this.traced(name, spanName, key, item, () => handler(key, signal));
          } finally {
            this.syncLatency.observe((performance.now() - started) / 1000, { queue: name });
          }
        },
        onError: (key, err, attempt) =>
          this.logger.warn(`${name} failed, will retry`, { pod: key, attempt, err: errorMessage(err) }),
      });
    this.sync = queue('pod-sync', 'sync pod', workers, (key, signal) => this.syncPod(key, signal));
    this.deletes = queue('pod-force-delete', 'force delete pod', apiWorkers, (key, signal) =>
      this.forceDelete(key, signal),
    );
    this.status = queue('pod-status', 'sync pod status', apiWorkers, (key, signal) =>
      this.syncStatus(key, signal),
    );
  }

  /**
   * Runs a queue item in its span. A pod sync starts a trace of its own; a status write or force
   * delete joins the trace of the sync that last changed the pod in the provider (`PodState.trace`),
   * and a status write links to the span the provider's report came from (a refresh pass, a poll).
   */
  private traced(queue: string, spanName: string, key: string, item: WorkItem, work: () => Promise<void>) {
    const podKeyOfItem = queue === 'pod-force-delete' ? key.slice(0, key.lastIndexOf('/')) : key;
    const state = this.states.get(podKeyOfItem);
    const parent = (queue !== 'pod-sync' && state?.trace?.context) || ROOT_CONTEXT;
    const reportedIn = queue === 'pod-status' ? state?.reportedIn : undefined;
    const links: Link[] =
      reportedIn && reportedIn.traceId !== trace.getSpanContext(parent)?.traceId
        ? [{ context: reportedIn }]
        : [];
    return inSpan(coreTracer, spanName, { parent, links }, span => {
      if (span.isRecording()) {
        const pod = this.informer.get(podKeyOfItem);
        const { namespace, name } = splitPodKey(podKeyOfItem);
        span.setAttributes(podAttributes(pod ?? { metadata: { namespace, name } }));
        span.setAttribute(SpanAttribute.K8S_NODE_NAME, this.options.nodeName);
        span.setAttribute(CoreAttribute.QUEUE_NAME, queue);
        span.setAttribute(CoreAttribute.QUEUE_WAIT_MS, Math.round(item.waitMs));
        span.setAttribute(CoreAttribute.QUEUE_ATTEMPT, item.attempt);
      }
      return work();
    });
  }

  /** True once start-up reconciliation is done and the queues are running. */
  get ready(): boolean {
    return this.isReady;
  }

  /**
   * Runs until `signal` aborts: waits for the informer, reconciles with what the provider already
   * runs, then works the queues and takes status from the provider (notifier or polling).
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error('PodController is already running');
    this.running = true;
    try {
      try {
        await this.informer.waitForSync(signal);
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      const unregister = this.informer.addHandlers({
        onAdd: pod => this.sync.enqueue(podKey(pod)),
        onUpdate: (oldPod, newPod) => this.onUpdate(oldPod, newPod),
        onDelete: pod => {
          this.sync.enqueue(podKey(pod));
          this.deletes.forget(`${podKey(pod)}/${uidOf(pod)}`);
        },
      });
      signal.addEventListener('abort', unregister, { once: true });
      const running = await reconcileWithProvider(
        this.calls,
        this.informer,
        this.options.workers ?? 10,
        this.logger,
        signal,
      );
      this.inventoryKnown = running !== undefined;
      for (const [key, state] of running ?? []) {
        this.states.set(key, state);
        if (state.reported) this.status.enqueue(key);
      }
      const background: Promise<void>[] = [
        this.sync.run(signal),
        this.deletes.run(signal),
        this.status.run(signal),
        publishPodPhases(this.meter, () => this.informer.list(), 10_000, signal),
      ];
      const resyncMs = this.options.inventoryResyncIntervalMs ?? 60_000;
      if (resyncMs > 0) background.push(this.resyncInventory(resyncMs, signal));
      const provider = this.options.provider;
      if (typeof provider.notifyPods === 'function') {
        provider.notifyPods(pod => this.onReported(pod));
      } else {
        background.push(this.poll(signal));
      }
      this.isReady = true;
      this.logger.info('pod controller ready', { pods: this.informer.list().length });
      await Promise.all(background);
    } finally {
      this.isReady = false;
      this.running = false;
    }
  }

  private onUpdate(oldPod: V1Pod, newPod: V1Pod): void {
    const key = podKey(newPod);
    const state = this.states.get(key);
    // A pod waiting for status.podIP/hostIP to resolve its env goes as soon as an address appears.
    const addressAppeared =
      state?.inProvider === false &&
      (oldPod.status?.podIP !== newPod.status?.podIP || oldPod.status?.hostIP !== newPod.status?.hostIP);
    if (uidOf(oldPod) !== uidOf(newPod) || addressAppeared || !podsEqualForProvider(oldPod, newPod)) {
      this.sync.enqueue(key);
    }
    // Repair a status someone else overwrote (upstream #899): what the provider last reported no
    // longer matches what the API server holds. Checked again a moment later rather than at once:
    // the echo of our own earlier write (Pending) often arrives after a newer report (Running), and
    // by then the echo of the newer write has come too, so nothing is written twice.
    const reported = state?.reported;
    if (state && reported?.status && state.uid === uidOf(newPod) && !isTerminalPhase(newPod.status?.phase)) {
      if (statusPatch(newPod.status, reported.status)) this.status.enqueueAfter(key, REPAIR_DELAY_MS);
      else if (newPod.status && reported.status !== newPod.status) {
        // The API server holds what the provider reported: keep one copy of it, the informer's
        // (about a kilobyte a pod on a node with thousands). Neither copy is ever mutated.
        state.reported = { metadata: reported.metadata, status: newPod.status };
      }
    }
  }

  private async syncPod(key: string, signal: AbortSignal): Promise<void> {
    const pod = this.informer.get(key);
    let state = this.states.get(key);
    if (!pod) {
      await this.removeFromProvider(key, state, signal);
      this.states.delete(key);
      this.api.forget(key);
      return;
    }
    if (state && state.uid !== uidOf(pod)) {
      // Same name, new pod: the old one must leave the provider before the new one enters it.
      if (state.inProvider && !state.deletedInProvider)
        await this.deleteQuietly(state.applied ?? pod, signal);
      state = undefined;
      this.api.forget(key);
    }
    if (!state) {
      state = { uid: uidOf(pod), inProvider: false, failureWritten: false, deletedInProvider: false };
      this.states.set(key, state);
    }
    if (pod.metadata?.deletionTimestamp) return this.gracefulDelete(key, pod, state, signal);
    if (isTerminalPhase(pod.status?.phase) || state.lost) return;
    const resolved = await this.resolve(await this.ephemeralForProvider(pod, state, signal), state, signal);
    if (!resolved) return;
    if (!state.inProvider && (!this.inventoryKnown || hasStarted(pod.status?.phase))) {
      await this.lookUpInProvider(pod, state, signal);
      // It ran (the API server says so) and the provider no longer has it: lost out of band. Creating
      // it again would be a second copy of the pod (upstream #762); it fails, as the kubelet's would.
      if (!state.inProvider && hasStarted(pod.status?.phase)) return this.reportLost(pod, state);
    }
    if (state.inProvider && state.applied && podsEqualForProvider(state.applied, resolved)) {
      state.applied = withoutStatus(resolved);
      await this.clearFailure(pod, state, signal);
      return;
    }
    await this.applyToProvider(state.inProvider ? 'update' : 'create', pod, resolved, state, signal);
  }

  /**
   * The pod as the provider may see it: with its ephemeral containers if the provider declares it
   * runs them, else without, each refused once with an event and a terminated status.
   */
  private async ephemeralForProvider(pod: V1Pod, state: PodState, signal: AbortSignal): Promise<V1Pod> {
    const ephemeral = pod.spec?.ephemeralContainers ?? [];
    if (ephemeral.length === 0 || this.options.provider.supportsEphemeralContainers === true) return pod;
    const refused = (state.refusedEphemeral ??= new Set());
    const added = ephemeral.filter(container => !refused.has(container.name));
    if (added.length > 0) {
      for (const container of added) {
        this.options.events.event(pod, 'Warning', EPHEMERAL_NOT_SUPPORTED, refusedNote(container));
      }
      await this.api.patchStatus(
        pod,
        { ephemeralContainerStatuses: refusedStatuses(ephemeral, new Date()) },
        signal,
      );
      for (const container of added) refused.add(container.name);
    }
    return withoutEphemeralContainers(pod);
  }

  private async lookUpInProvider(pod: V1Pod, state: PodState, signal: AbortSignal): Promise<void> {
    try {
      const existing = await this.calls.get(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', signal);
      if (uidOf(existing) === '' || uidOf(existing) === state.uid) {
        state.inProvider = true;
        state.applied = withoutStatus(existing);
        // Its status too: the provider's reports of it came before the controller knew the pod
        // (the notifier replays at start-up) and were dropped; a newer report since then wins.
        if (!state.reported && existing.status) {
          state.reported = reportedStatus(existing);
          this.enqueueStatusSoon(podKey(pod));
        }
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** The pod with env resolved, or undefined when it can never resolve (the pod is marked Failed). */
  private async resolve(pod: V1Pod, state: PodState, signal: AbortSignal): Promise<V1Pod | undefined> {
    const { allocatable = {}, hostIPs, resources, events } = this.options;
    const envContext = {
      resources,
      events,
      allocatable,
      logger: this.logger,
      runtime: { status: state.reported?.status ?? pod.status, hostIPs },
    };
    try {
      return await inSpan(coreTracer, 'resolve env', {}, span => {
        if (span.isRecording()) span.setAttributes(podAttributes(pod));
        return resolveForProvider(pod, state, envContext);
      });
    } catch (err) {
      if (!(err instanceof EnvResolutionError)) throw err;
      if (err.failure === 'not-ready') {
        events.event(
          pod,
          'Warning',
          EnvEventReason.DownwardAPIFieldNotReady,
          `${err.message}; the pod waits`,
        );
      }
      if (err.failure !== 'invalid') {
        // Retried with backoff; meanwhile the pod shows why it waits, as the kubelet's would.
        if (!state.inProvider) await this.writeConfigError(pod, state, err.message, signal);
        throw err;
      }
      events.event(pod, 'Warning', EnvEventReason.InvalidDownwardAPIField, err.message);
      await this.api.writeStatus(pod, providerFailedStatus(err.message, true), signal);
      return undefined;
    }
  }

  private async applyToProvider(
    operation: 'create' | 'update',
    pod: V1Pod,
    resolved: V1Pod,
    state: PodState,
    signal: AbortSignal,
  ): Promise<void> {
    const [success, failure, verb] =
      operation === 'create'
        ? [PodEventReason.ProviderCreateSuccess, PodEventReason.ProviderCreateFailed, 'Create']
        : [PodEventReason.ProviderUpdateSuccess, PodEventReason.ProviderUpdateFailed, 'Update'];
    try {
      if (operation === 'create') await this.calls.create(resolved, signal);
      else await this.calls.update(resolved, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      if (!(operation === 'create' && isAlreadyExists(err))) {
        const message = errorMessage(err);
        const permanent = isInvalidInput(err);
        this.options.events.event(pod, 'Warning', failure, message);
        // A pod that has started keeps its status: a failed update (or a create retried after the
        // provider lost the pod) is an event, never a step back to Pending or a Running pod Failed.
        if (!hasStarted(pod.status?.phase)) {
          await this.writeFailure(
            pod,
            state,
            providerFailedStatus(message, permanent),
            'ProviderFailed',
            signal,
          );
        }
        if (permanent) return;
        throw err;
      }
    }
    state.inProvider = true;
    state.applied = withoutStatus(resolved);
    state.trace = activePodTrace('started');
    this.options.events.event(pod, 'Normal', success, `${verb} pod in provider successfully`);
    await this.clearFailure(pod, state, signal);
  }

  private async writeConfigError(
    pod: V1Pod,
    state: PodState,
    message: string,
    signal: AbortSignal,
  ): Promise<void> {
    await this.writeFailure(
      pod,
      state,
      configErrorStatus(pod, message),
      'CreateContainerConfigError',
      signal,
    );
  }

  /** Writes a failure status; a failing write is logged (the queue's retry writes it again). */
  private async writeFailure(
    pod: V1Pod,
    state: PodState,
    status: V1PodStatus,
    reason: string,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      await this.api.writeStatus(pod, status, signal, true);
      state.failureWritten = true;
    } catch (err) {
      this.logger.warn(`writing ${reason} status failed`, { pod: podKey(pod), err: errorMessage(err) });
    }
  }

  /**
   * Recovery: the ProviderFailed reason and message go once the provider has accepted the pod. The
   * phase is left to the provider's report, which may already have been written (Running).
   */
  private async clearFailure(pod: V1Pod, state: PodState, signal: AbortSignal): Promise<void> {
    if (!state.failureWritten) return;
    const current = this.informer.get(podKey(pod))?.status ?? pod.status;
    // Container statuses go only while they still show our config error; by now the provider's
    // report may have replaced them (and a race is repaired from that report, see onUpdate).
    const containers = showsConfigError(current)
      ? { containerStatuses: null, initContainerStatuses: null }
      : {};
    await this.api.patchStatus(pod, { reason: null, message: null, ...containers }, signal);
    state.failureWritten = false;
  }

  private async gracefulDelete(key: string, pod: V1Pod, state: PodState, signal: AbortSignal): Promise<void> {
    const deleteKey = `${key}/${state.uid}`;
    if (state.trace?.until !== 'removed') state.trace = activePodTrace('removed');
    const running = isPodRunning(state.reported?.status) || isPodRunning(pod.status);
    if (!running) {
      // Nothing to stop gracefully: remove it from the API now; the provider copy goes when the
      // informer reports the deletion.
      this.deletes.enqueue(deleteKey);
      return;
    }
    if (!state.deletedInProvider) {
      try {
        await this.calls.delete(state.applied ?? pod, signal);
      } catch (err) {
        if (!isNotFound(err)) {
          this.options.events.event(pod, 'Warning', PodEventReason.ProviderDeleteFailed, errorMessage(err));
          throw err;
        }
      }
      state.deletedInProvider = true;
      // Only a pod still to be deleted in the provider needs what it was given.
      state.applied = undefined;
      this.options.events.event(
        pod,
        'Normal',
        PodEventReason.ProviderDeleteSuccess,
        'Delete pod in provider successfully',
      );
      if (typeof this.options.provider.notifyPods !== 'function') {
        // A polled provider cannot report the end of a pod it no longer has (upstream sync wrapper).
        this.onReported({ metadata: pod.metadata, status: deletedPodStatus(pod, new Date()) });
      }
    }
    const deadline = pod.metadata?.deletionTimestamp
      ? new Date(pod.metadata.deletionTimestamp).getTime()
      : Date.now();
    const graceMs = (pod.metadata?.deletionGracePeriodSeconds ?? 0) * 1000;
    // A provider may report the pod stopped while deletePod is still running (before
    // deletedInProvider was set, so syncStatus could not act on it): no need to wait then either.
    const stopped = state.reported !== undefined && !isPodRunning(state.reported.status);
    this.deletes.enqueueAfter(deleteKey, stopped ? 0 : Math.max(0, Math.min(deadline - Date.now(), graceMs)));
  }

  private async removeFromProvider(
    key: string,
    state: PodState | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    if (state) {
      if (state.inProvider && !state.deletedInProvider && state.applied)
        await this.deleteQuietly(state.applied, signal);
      else if (state.inProvider && !state.deletedInProvider) await this.deleteByName(key, state.uid, signal);
      return;
    }
    await this.deleteByName(key, undefined, signal);
  }

  private async deleteByName(key: string, uid: string | undefined, signal: AbortSignal): Promise<void> {
    const { namespace, name } = splitPodKey(key);
    try {
      const existing = await this.calls.get(namespace, name, signal);
      if (uid !== undefined && uidOf(existing) !== '' && uidOf(existing) !== uid) return;
      await this.deleteQuietly(existing, signal);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async deleteQuietly(pod: V1Pod, signal: AbortSignal): Promise<void> {
    try {
      await this.calls.delete(pod, signal);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Force delete from the API with a UID precondition, so a re-created pod is never hit. */
  private async forceDelete(deleteKey: string, signal: AbortSignal): Promise<void> {
    const slash = deleteKey.lastIndexOf('/');
    const key = deleteKey.slice(0, slash);
    const uid = deleteKey.slice(slash + 1);
    const pod = this.informer.get(key);
    const state = this.states.get(key);
    // Asked twice (the grace period ended and the provider reported the pod stopped): once is enough.
    if (!pod || uidOf(pod) !== uid || (state?.uid === uid && state.forceDeleted)) return;
    await this.api.delete(key, uid, 0, signal);
    if (state?.uid === uid) {
      state.forceDeleted = true;
      state.trace = undefined;
    }
  }

  /** A started pod the provider does not have: Failed with reason NotFound, never created again. */
  private reportLost(pod: V1Pod, state: PodState): void {
    this.logger.warn('the provider lost a started pod; marking it Failed', {
      pod: podKey(pod),
      uid: state.uid,
    });
    state.lost = true;
    this.onReported({ metadata: pod.metadata, status: lostPodStatus(pod, new Date()) });
  }

  /**
   * Every `intervalMs`: provider pods without their API pod are deleted, and pods the controller
   * handed to the provider that it no longer lists (confirmed with getPod) are reported lost.
   */
  private async resyncInventory(intervalMs: number, signal: AbortSignal): Promise<void> {
    const workers = this.options.workers ?? 10;
    for (;;) {
      await abortableSleep(intervalMs, signal);
      if (signal.aborted) return;
      let providerPods: V1Pod[];
      try {
        providerPods = await this.calls.list(signal);
      } catch (err) {
        if (!signal.aborted) this.logger.warn('listing provider pods failed', { err: errorMessage(err) });
        continue;
      }
      await deleteDangling(
        this.calls,
        danglingPods(providerPods, this.informer),
        workers,
        this.logger,
        signal,
      );
      const listed = new Set(providerPods.map(providerPod => `${podKey(providerPod)}/${uidOf(providerPod)}`));
      const missing = this.informer.list().filter(pod => {
        const state = this.states.get(podKey(pod));
        return (
          state?.inProvider === true &&
          !state.deletedInProvider &&
          !state.lost &&
          state.uid === uidOf(pod) &&
          !pod.metadata?.deletionTimestamp &&
          !isTerminalPhase(pod.status?.phase) &&
          !listed.has(`${podKey(pod)}/${state.uid}`)
        );
      });
      await forEachConcurrently(missing, workers, async pod => {
        const state = this.states.get(podKey(pod));
        if (!state || signal.aborted) return;
        try {
          // The list may predate a create that finished since: ask for this one pod.
          const found = await this.calls.get(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', signal);
          if (uidOf(found) === '' || uidOf(found) === state.uid) return;
        } catch (err) {
          if (!isNotFound(err)) return;
        }
        if (state.inProvider && !state.deletedInProvider && state.uid === uidOf(pod))
          this.reportLost(pod, state);
      });
    }
  }

  /** A status report from the provider (notifier callback or poll). Never blocks. */
  private onReported(reported: V1Pod): void {
    const key = podKey(reported);
    const apiPod = this.informer.get(key);
    const state = this.states.get(key);
    if (!apiPod || !state || state.uid !== uidOf(apiPod)) return;
    if (uidOf(reported) !== '' && uidOf(reported) !== state.uid) return; // about an older pod of that name
    // Nothing new (the usual poll round): no copy kept, no status sync queued.
    if (state.reported && sameReport(state.reported, reported)) return;
    state.reported = reportedStatus(reported);
    state.reportedIn = trace.getSpanContext(context.active());
    this.enqueueStatusSoon(key);
  }

  /**
   * Reports made in the same turn of the event loop become one status write: a provider that
   * assigns the IP and starts the containers at once reports Pending, then Running, back to back.
   * A Pending report waits `pendingStatusDelayMs` for a newer one; a newer report (Running) then
   * moves the key to the front, and the delayed run finds nothing left to write.
   */
  private enqueueStatusSoon(key: string): void {
    if (this.reportedKeys.size === 0) {
      setImmediate(() => {
        const keys = [...this.reportedKeys];
        this.reportedKeys.clear();
        const delayMs = this.options.pendingStatusDelayMs ?? DEFAULT_PENDING_STATUS_DELAY_MS;
        for (const reportedKey of keys) {
          const reported = this.states.get(reportedKey)?.reported?.status;
          if (delayMs > 0 && isPendingReport(reported)) this.status.enqueueAfter(reportedKey, delayMs);
          else this.status.enqueue(reportedKey);
        }
      });
    }
    this.reportedKeys.add(key);
  }

  private async syncStatus(key: string, signal: AbortSignal): Promise<void> {
    const pod = this.informer.get(key);
    const state = this.states.get(key);
    const reported = state?.reported;
    if (!pod || !state || !reported || state.uid !== uidOf(pod)) return;
    // Terminal pods were written once and are left alone (the API server refuses to revive them).
    if (isTerminalPhase(pod.status?.phase)) return;
    const deleteKey = `${key}/${state.uid}`;
    if (pod.metadata?.deletionTimestamp && state.deletedInProvider && !isPodRunning(reported.status)) {
      // The provider has stopped a pod being deleted: no need to wait out the rest of the grace
      // period. Without finalizers the force delete removes it at once, so a terminal status written
      // first would be seen by nobody: one write instead of two. A finalizer keeps the pod, and
      // whoever holds it (a Job's tracking) needs its terminal phase, as from a kubelet.
      if (!pod.metadata.finalizers?.length) {
        this.deletes.enqueue(deleteKey);
        return;
      }
    }
    let patchError: Error | undefined;
    const phase = reported.status?.phase;
    if (phase) trace.getActiveSpan()?.setAttribute(CoreAttribute.POD_PHASE, phase);
    try {
      const written = await this.api.writeStatus(pod, reported.status ?? {}, signal);
      if (!written && pod.status && reported.status !== pod.status) {
        // The API server holds it already (e.g. pods adopted after a restart): keep the informer's copy.
        state.reported = { metadata: reported.metadata, status: pod.status };
      }
      // The pod has started (or ended): later status writes are traces of their own.
      if (state.trace?.until === 'started' && phase && phase !== 'Pending') state.trace = undefined;
    } catch (err) {
      // A failing status write must not hold up deletes (upstream #938): carry on, fail afterwards.
      patchError = err instanceof Error ? err : new Error(String(err));
    }
    const providerDeletion = reported.metadata?.deletionTimestamp;
    if (providerDeletion && !pod.metadata?.deletionTimestamp) {
      const remaining = Math.ceil((new Date(providerDeletion).getTime() - Date.now()) / 1000);
      const grace = remaining > 0 ? (reported.metadata?.deletionGracePeriodSeconds ?? remaining) : 0;
      await this.api.delete(key, state.uid, grace, signal);
    } else if (pod.metadata?.deletionTimestamp && state.deletedInProvider && !isPodRunning(reported.status)) {
      this.deletes.enqueue(deleteKey);
    }
    if (patchError) throw patchError;
  }

  private async poll(signal: AbortSignal): Promise<void> {
    await pollStatuses(
      {
        calls: this.calls,
        intervalMs: this.options.statusPollIntervalMs ?? 5000,
        concurrency: this.options.pollConcurrency ?? this.options.workers ?? 10,
        logger: this.logger,
        pods: () =>
          this.informer.list().filter(pod => {
            const state = this.states.get(podKey(pod));
            return (
              state?.inProvider === true &&
              !state.deletedInProvider &&
              state.uid === uidOf(pod) &&
              !isTerminalPhase(pod.status?.phase)
            );
          }),
        deletedInProvider: pod => this.states.get(podKey(pod))?.deletedInProvider === true,
        report: pod => this.onReported(pod),
      },
      signal,
    );
  }
}
