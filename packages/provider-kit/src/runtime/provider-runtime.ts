import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';

import { InvalidInputError, NotFoundError, TransientError } from '../errdefs/index.js';
import { jsonEqual } from '../json-equal.js';
import { noopLogger, type Logger } from '../logger.js';
import type { CallOptions, Provider } from '../provider.js';
import { buildPodStatus, goneObservation } from '../status/index.js';
import { podAttributes, SpanAttribute } from '../tracing/attributes.js';
import { inSpan, providerKitTracer } from '../tracing/spans.js';
import type { BackendEvents, PodBackend } from './pod-backend.js';
import { PodTracker, podIdentity, type PodRecord, type TrackedPod } from './pod-tracker.js';

/** How the runtime reads the backend for pods whose state it is not pushed. */
export interface RefreshOptions {
  /** Time between two passes over every pod. */
  intervalMs: number;
  /** Pods per `refresh` request (default 100). */
  batchSize?: number;
  /** Requests in flight at once (default 1 for `refresh`, 10 for `sync`). */
  concurrency?: number;
}

export interface ProviderRuntimeOptions<S> {
  backend: PodBackend<S>;
  /** The node's InternalIP, reported as every pod's hostIP (`context.internalIP`). */
  hostIP?: string;
  logger?: Logger;
  /** The refresh loop; without it pods change only through create, update, delete, `watch` and `report`. */
  refresh?: RefreshOptions;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

/**
 * The pod lifecycle of a Provider, run on a PodBackend: what every provider would otherwise write
 * again. Creates are idempotent by UID (one in flight per UID; `find` before `create` catches a lost
 * answer or a restart); a delete of an unknown or stale-UID pod is a NotFoundError and waits for a
 * create in flight; statuses come from `buildPodStatus` and are pushed through `notifyPods` only
 * when they change; an optional loop refreshes pods in batches; `start()` adopts what the backend
 * already runs for this node; `close()` leaves no timer or request behind.
 *
 * A provider extends it (or wraps it) and adds its optional capabilities (logs, exec, node),
 * finding pods with `this.pods.require(ref)`.
 */
export class ProviderRuntime<S> implements Provider {
  readonly pods: PodTracker<S>;
  protected readonly backend: PodBackend<S>;
  protected readonly logger: Logger;
  private readonly lifetime = new AbortController();
  private readonly events: BackendEvents<S>;
  private started = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private watching: Promise<void> | undefined;

  constructor(private readonly runtimeOptions: ProviderRuntimeOptions<S>) {
    this.backend = runtimeOptions.backend;
    this.logger = runtimeOptions.logger ?? noopLogger;
    this.pods = new PodTracker<S>({
      logger: this.logger,
      status: (record, previous) => this.statusOf(record, previous),
    });
    this.events = {
      pods: this.pods,
      report: (uid, state) => {
        const record = this.pods.get(uid);
        if (record) this.apply(record, state);
      },
      syncSoon: uid => {
        const record = this.pods.get(uid);
        if (record) void this.sync(record);
      },
    };
  }

  /**
   * Adopts the pods the backend runs for this node, then starts the refresh loop and the watch. When
   * adoption fails (the backend is unreachable), nothing has started and `start()` may be called again.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.backend.list) {
      let found: Array<{ pod: V1Pod; state: S }>;
      try {
        found = await this.backend.list({ signal: this.lifetime.signal });
      } catch (error) {
        this.started = false;
        throw error;
      }
      for (const { pod, state } of found) {
        if (!this.pods.get(podIdentity(pod).uid)) this.pods.add(pod, state);
      }
      if (found.length > 0) this.logger.info('adopted pods from the backend', { count: found.length });
    }
    if (this.backend.watch) {
      // A feed that runs for the provider's lifetime belongs to no caller's trace.
      const backend = this.backend;
      const watching = context.with(ROOT_CONTEXT, () => backend.watch!(this.events, this.lifetime.signal));
      this.watching = watching.catch((error: unknown) => {
        if (!this.lifetime.signal.aborted) this.logger.warn('backend watch ended', { error: String(error) });
      });
    }
    this.schedule();
  }

  /** A pod's new state, pushed by the backend (`null`: it no longer has the pod). */
  report(uid: string, state: S | null): void {
    this.events.report(uid, state);
  }

  /** Runs the backend's `sync` for this pod now. */
  syncSoon(uid: string): void {
    this.events.syncSoon(uid);
  }

  async createPod(pod: V1Pod, options: CallOptions): Promise<void> {
    const { namespace, name, uid } = podIdentity(pod);
    if (!pod.spec?.containers?.length)
      throw new InvalidInputError(`pod ${namespace}/${name} has no containers`);
    const existing = this.pods.get(uid);
    if (existing) {
      // A retry, or core re-creating every pod after a restart: the API's pod is the one to keep
      // (an adopted pod's spec is only what the backend could tell).
      if (!existing.deleting) this.pods.update(existing, { pod });
      return;
    }
    const other = this.pods.find(namespace, name);
    if (other && !other.deleting && !other.gone) {
      throw new TransientError(
        `pod ${namespace}/${name}: the pod with UID ${other.uid} still runs under this name`,
      );
    }
    return this.pods.createOnce(uid, async () => {
      if (this.pods.get(uid)) return;
      const call = this.call(options);
      let state = await this.backend.find?.(pod, call);
      if (state === undefined) {
        call.signal.throwIfAborted();
        state = await this.backend.create(pod, call);
      }
      const record = this.pods.add(pod, state, pod.status);
      if (this.backend.sync) void this.sync(record);
    });
  }

  async updatePod(pod: V1Pod, options: CallOptions): Promise<void> {
    const { namespace, name, uid } = podIdentity(pod);
    const record = this.pods.get(uid);
    if (!record || record.deleting) throw new NotFoundError(`pod ${namespace}/${name} not found`);
    if (this.backend.update) {
      const state = await this.backend.update(pod, record, this.call(options));
      this.pods.update(record, { pod, ...(state !== undefined ? { state } : {}) });
    } else {
      this.pods.update(record, { pod: { ...record.pod, metadata: pod.metadata } });
    }
    if (this.backend.sync) void this.sync(record);
  }

  async deletePod(pod: V1Pod, options: CallOptions): Promise<void> {
    const uid = pod.metadata?.uid;
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    // A create still in flight would leave a backend object nobody deletes.
    if (uid) await this.pods.pendingCreate(uid)?.catch(() => undefined);
    const found = uid ? this.pods.get(uid) : this.pods.find(namespace, name);
    const record = found && this.pods.own(found);
    if (!record || record.namespace !== namespace || record.name !== name)
      throw new NotFoundError(`pod ${namespace}/${name}${uid ? ` with UID ${uid}` : ''} not found`);
    if (record.gone) {
      this.pods.remove(record);
      return;
    }
    record.deleteOp ??= this.stop(record, options).finally(() => (record.deleteOp = undefined));
    return record.deleteOp;
  }

  async getPod(namespace: string, name: string, _options?: CallOptions): Promise<V1Pod> {
    return this.pods.snapshot(this.pods.require({ namespace, name }));
  }

  async getPodStatus(namespace: string, name: string, _options?: CallOptions): Promise<V1PodStatus> {
    return this.pods.require({ namespace, name }).status;
  }

  async getPods(_options?: CallOptions): Promise<V1Pod[]> {
    return this.pods.list().map(record => this.pods.snapshot(record));
  }

  notifyPods(callback: (pod: V1Pod) => void): void {
    this.pods.notifyPods(callback);
  }

  /**
   * Stops the refresh loop and the watch, aborts backend requests in flight and waits for them, then
   * closes the backend. The pods keep running in the backend.
   */
  async close(): Promise<void> {
    this.lifetime.abort(new Error('provider closed'));
    clearTimeout(this.timer);
    this.timer = undefined;
    const pending: Promise<void>[] = [...this.pods.pendingCreates()];
    for (const work of [this.ticking, this.watching]) if (work) pending.push(work);
    for (const record of this.pods.list()) {
      const own = this.pods.own(record);
      if (own?.syncing) pending.push(own.syncing);
      if (own?.deleteOp) pending.push(own.deleteOp);
    }
    await Promise.allSettled(pending);
    await this.backend.close?.();
  }

  /** The call options of a backend request: the caller's signal, ended early by close(). */
  protected call(options: CallOptions): CallOptions {
    return { signal: AbortSignal.any([options.signal, this.lifetime.signal]) };
  }

  private statusOf(record: TrackedPod<S>, previous: V1PodStatus | undefined): V1PodStatus {
    const observed = record.gone
      ? {
          ...goneObservation(previous),
          ...(record.deleting
            ? {}
            : {
                reason: 'NotFound',
                message: 'the pod is no longer in the backend, which was not asked to delete it',
              }),
        }
      : this.backend.observe(record);
    return buildPodStatus(record.pod, observed, { previous, hostIP: this.runtimeOptions.hostIP });
  }

  private async stop(record: PodRecord<S>, options: CallOptions): Promise<void> {
    record.deleting = true;
    // A sync in flight finishes first: it could otherwise write back a state from before the stop.
    await record.syncing;
    const state = await this.backend.delete(record, this.call(options));
    this.apply(record, state);
  }

  /** Takes a state from the backend; forgets a deleted pod once its status is terminal. */
  private apply(record: TrackedPod<S>, state: S | null): void {
    const own = this.pods.own(record);
    if (!own) return;
    if (state === null) this.pods.update(own, { gone: true });
    else this.pods.update(own, { state });
    if (own.deleting && (own.gone || TERMINAL.has(own.status.phase ?? ''))) this.pods.remove(own);
  }

  private sync(record: TrackedPod<S>): Promise<void> {
    const own = this.pods.own(record);
    const backend = this.backend;
    if (!own || !backend.sync || own.gone || own.deleteOp || this.lifetime.signal.aborted)
      return Promise.resolve();
    if (own.syncing) {
      own.syncAgain = true;
      return own.syncing;
    }
    // A span per sync: after a create it is a child of the caller's createPod (so the backend calls
    // that start the pod join the pod's trace); from the refresh loop, of the refresh pass.
    own.syncing = inSpan(
      providerKitTracer,
      'provider sync pod',
      { attributes: podAttributes(own.pod) },
      async () => {
        do {
          own.syncAgain = false;
          const state = await backend.sync!(own, { signal: this.lifetime.signal });
          if (state === undefined) this.pods.update(own);
          else this.apply(own, state);
        } while (own.syncAgain && this.pods.has(own) && !own.deleteOp && !this.lifetime.signal.aborted);
      },
    )
      .catch((error: unknown) => {
        if (!this.lifetime.signal.aborted)
          this.logger.warn('pod sync failed', { pod: `${own.namespace}/${own.name}`, error: String(error) });
      })
      .finally(() => (own.syncing = undefined));
    return own.syncing;
  }

  private schedule(): void {
    const refresh = this.runtimeOptions.refresh;
    if (!refresh || this.lifetime.signal.aborted || (!this.backend.refresh && !this.backend.sync)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ticking = this.refreshAll(refresh)
        .catch((error: unknown) => {
          if (!this.lifetime.signal.aborted)
            this.logger.warn('refreshing pods failed', { error: String(error) });
        })
        .finally(() => {
          this.ticking = undefined;
          this.schedule();
        });
    }, refresh.intervalMs);
  }

  /**
   * One pass over every pod: `refresh` in batches when the backend has it, else `sync` per pod. Each
   * pass is a trace of its own (a root span), whatever started the loop.
   */
  private refreshAll(options: RefreshOptions): Promise<void> {
    const records = this.pods.list().filter(record => {
      const own = this.pods.own(record);
      return own && !own.gone && !own.deleteOp;
    });
    if (records.length === 0) return Promise.resolve();
    return inSpan(
      providerKitTracer,
      'provider refresh',
      { parent: ROOT_CONTEXT, attributes: { [SpanAttribute.POD_COUNT]: records.length } },
      () => this.refreshRecords(records, options),
    );
  }

  private async refreshRecords(records: TrackedPod<S>[], options: RefreshOptions): Promise<void> {
    const backend = this.backend;
    if (!backend.refresh) {
      await inParallel(records, options.concurrency ?? 10, record => this.sync(record));
      return;
    }
    const size = options.batchSize ?? 100;
    const batches: TrackedPod<S>[][] = [];
    for (let i = 0; i < records.length; i += size) batches.push(records.slice(i, i + size));
    await inParallel(batches, options.concurrency ?? 1, async batch => {
      const generations = new Map(batch.map(record => [record, this.pods.own(record)?.generation]));
      const states = await backend.refresh!(batch, { signal: this.lifetime.signal });
      for (const record of batch) {
        const own = this.pods.own(record);
        // An answer that started before a newer state (a delete, a push) arrived is stale.
        if (!own || own.generation !== generations.get(record) || own.deleteOp || !states.has(record.uid))
          continue;
        const state = states.get(record.uid)!;
        // Most passes find most pods as they were: the same state builds the same status, so building
        // it again (every pod, every pass) would be the pass's main cost.
        if (state !== null && jsonEqual(state, own.state)) continue;
        this.apply(own, state);
      }
    });
  }
}

/** Runs `work` over `items`, at most `limit` at once. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
