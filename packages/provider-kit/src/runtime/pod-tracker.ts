import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';

import { jsonEqual } from '../json-equal.js';
import { InvalidInputError, NotFoundError } from '../errdefs/index.js';
import { noopLogger, type Logger } from '../logger.js';
import type { PodRef } from '../provider.js';

/** A pod the provider runs, as the runtime keeps it. */
export interface TrackedPod<S> {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** The pod as created or last updated: metadata and spec, no status. */
  readonly pod: V1Pod;
  /** What the backend last said about the pod. */
  readonly state: S;
  /** The status last reported for it. */
  readonly status: V1PodStatus;
  /** deletePod was called: the pod is stopping, or stopped and about to be forgotten. */
  readonly deleting: boolean;
  /** The backend no longer has the pod (it was deleted, or vanished behind the provider's back). */
  readonly gone: boolean;
}

/** @internal The mutable record behind a TrackedPod. */
export class PodRecord<S> implements TrackedPod<S> {
  status: V1PodStatus = {};
  deleting = false;
  gone = false;
  /** Counts state changes, so a backend answer that started before one can be recognised as stale. */
  generation = 0;
  syncing: Promise<void> | undefined;
  syncAgain = false;
  deleteOp: Promise<void> | undefined;

  constructor(
    readonly uid: string,
    readonly namespace: string,
    readonly name: string,
    public pod: V1Pod,
    public state: S,
  ) {}
}

/** What identifies a pod: its namespace and name, and its UID, which backends key it by. */
export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/** Namespace, name and UID of a pod; a pod without them cannot be tracked (InvalidInputError). */
export function podIdentity(pod: V1Pod): PodIdentity {
  const { namespace, name, uid } = pod.metadata ?? {};
  if (!namespace || !name) throw new InvalidInputError('pod needs metadata.namespace and metadata.name');
  if (!uid) throw new InvalidInputError(`pod ${namespace}/${name} needs metadata.uid`);
  return { namespace, name, uid };
}

/** The pod without its status: a provider keeps the spec, the status is its own to report. */
export function withoutStatus(pod: V1Pod): V1Pod {
  const { status: _status, ...rest } = pod;
  return rest;
}

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

export interface PodTrackerOptions<S> {
  /** The status of a record now; `previous` is the status reported before (or the API's, at first). */
  status(record: TrackedPod<S>, previous: V1PodStatus | undefined): V1PodStatus;
  logger?: Logger;
}

/**
 * The pods a provider runs: records keyed by UID, as backends key them, and found by
 * namespace/name in O(1) (the newest pod of that name). Reports a pod through `notifyPods` only when
 * its status really changed (`jsonEqual`), and runs at most one create per UID at a time.
 */
export class PodTracker<S> {
  private readonly byUid = new Map<string, PodRecord<S>>();
  private readonly byName = new Map<string, PodRecord<S>>();
  private readonly creating = new Map<string, Promise<void>>();
  private readonly logger: Logger;
  private listener: ((pod: V1Pod) => void) | undefined;

  constructor(private readonly options: PodTrackerOptions<S>) {
    this.logger = options.logger ?? noopLogger;
  }

  get size(): number {
    return this.byUid.size;
  }

  get(uid: string): TrackedPod<S> | undefined {
    return this.byUid.get(uid);
  }

  /** The pod of that name (the newest, while an older one of the same name is still stopping). */
  find(namespace: string, name: string): TrackedPod<S> | undefined {
    return this.byName.get(key(namespace, name));
  }

  /** The pod a call names, or NotFoundError; a `uid` in the reference must match. */
  require(ref: PodRef): TrackedPod<S> {
    const record = ref.uid ? this.byUid.get(ref.uid) : this.byName.get(key(ref.namespace, ref.name));
    if (!record || record.namespace !== ref.namespace || record.name !== ref.name)
      throw new NotFoundError(`pod ${ref.namespace}/${ref.name} not found`);
    return record;
  }

  list(): TrackedPod<S>[] {
    return [...this.byUid.values()];
  }

  /** The pod with its current status, as getPod answers (a shallow copy: treat it as read-only). */
  snapshot(record: TrackedPod<S>): V1Pod {
    return { ...record.pod, status: record.status };
  }

  /**
   * Starts tracking a pod in `state`. `apiStatus` is the pod's status in the API server, which the
   * first status starts from (the scheduler's PodScheduled time, qosClass).
   */
  add(pod: V1Pod, state: S, apiStatus?: V1PodStatus): TrackedPod<S> {
    const { namespace, name, uid } = podIdentity(pod);
    const record = new PodRecord(uid, namespace, name, withoutStatus(pod), state);
    this.byUid.set(uid, record);
    this.byName.set(key(namespace, name), record);
    this.rebuild(record, apiStatus);
    return record;
  }

  /**
   * Applies a change to a record (a new pod spec, a new state) and reports its status if that
   * changed. A pod carrying the API's qosClass sets it (an adopted pod's spec may not tell it).
   */
  update(record: TrackedPod<S>, change: { pod?: V1Pod; state?: S; gone?: boolean } = {}): void {
    const own = this.own(record);
    if (!own) return;
    let previous = own.status;
    if (change.pod) {
      own.pod = withoutStatus(change.pod);
      const qosClass = change.pod.status?.qosClass;
      if (qosClass) previous = { ...previous, qosClass };
    }
    if (change.state !== undefined) own.state = change.state;
    if (change.gone) own.gone = true;
    own.generation++;
    this.rebuild(own, previous);
  }

  /** Stops tracking a pod. */
  remove(record: TrackedPod<S>): void {
    const own = this.own(record);
    if (!own) return;
    this.byUid.delete(own.uid);
    const named = key(own.namespace, own.name);
    if (this.byName.get(named) === own) {
      this.byName.delete(named);
      // An older pod of the same name still stopping becomes the one found by name again.
      for (const other of this.byUid.values()) {
        if (other.namespace === own.namespace && other.name === own.name) this.byName.set(named, other);
      }
    }
  }

  /** True while `record` is tracked (it may have been removed since a caller got it). */
  has(record: TrackedPod<S>): boolean {
    return this.byUid.get(record.uid) === record;
  }

  /**
   * Runs `create` unless one for this UID is already running, in which case its outcome is shared:
   * two concurrent creates of one pod never both reach the backend.
   */
  createOnce(uid: string, create: () => Promise<void>): Promise<void> {
    const running = this.creating.get(uid);
    if (running) return running;
    const attempt = create().finally(() => this.creating.delete(uid));
    this.creating.set(uid, attempt);
    return attempt;
  }

  /** The create of this UID in flight, if any. */
  pendingCreate(uid: string): Promise<void> | undefined {
    return this.creating.get(uid);
  }

  /** Every create in flight. */
  pendingCreates(): Promise<void>[] {
    return [...this.creating.values()];
  }

  /** Registers the status listener and reports every pod's current status to it once. */
  notifyPods(listener: (pod: V1Pod) => void): void {
    this.listener = listener;
    for (const record of this.byUid.values()) this.emit(record);
  }

  /** @internal */
  own(record: TrackedPod<S>): PodRecord<S> | undefined {
    const own = this.byUid.get(record.uid);
    return own === record ? own : undefined;
  }

  private rebuild(record: PodRecord<S>, previous: V1PodStatus | undefined): void {
    const status = this.options.status(record, previous);
    if (jsonEqual(status, record.status)) return;
    record.status = status;
    this.emit(record);
  }

  private emit(record: PodRecord<S>): void {
    if (!this.listener) return;
    try {
      this.listener(this.snapshot(record));
    } catch (error) {
      this.logger.warn('pod status listener failed', {
        pod: key(record.namespace, record.name),
        error: String(error),
      });
    }
  }
}
