import type { V1Pod } from '@kubernetes/client-node';

import type { CallOptions } from '../provider.js';
import type { PodObservation } from '../status/index.js';
import type { PodTracker, TrackedPod } from './pod-tracker.js';

/**
 * A backend's side of running pods: how a pod maps onto the backend's objects, and how their
 * state maps back. `S` is what the provider keeps per pod (an ECS task, an ARM container group, a
 * Nomad job's allocations, a CRI sandbox record). `ProviderRuntime` turns this into a Provider:
 * idempotent creates, deletes, status reports, refresh loop, adoption.
 *
 * Every method gets `options.signal`, aborted when the caller gives up or the provider closes.
 */
export interface PodBackend<S> {
  /**
   * Starts the pod; resolves with its state once the backend has accepted it, not when it runs:
   * long provisioning (an ARM long-running operation, an image pull) is followed by `refresh`,
   * `sync` or `watch`, so it does not hold the caller. Must leave an object `find` can find.
   */
  create(pod: V1Pod, options: CallOptions): Promise<S>;
  /**
   * The backend object of this pod's UID, if one exists: called before `create` for a UID the
   * runtime does not track, which covers a retry after a lost answer and a create that raced a
   * restart. Omit it only when `create` itself is idempotent by UID.
   */
  find?(pod: V1Pod, options: CallOptions): Promise<S | undefined>;
  /**
   * Applies a changed pod (labels, annotations, a new container image). Resolves with the new state,
   * or nothing when the state is unchanged. Without it, only the pod's metadata is updated.
   */
  update?(pod: V1Pod, record: TrackedPod<S>, options: CallOptions): Promise<S | void>;
  /**
   * Stops the pod and releases what it holds. Resolves with its state after the stop, or `null`
   * once the backend no longer has it. A state that is not yet over (a task still stopping) is
   * followed by `refresh`/`sync`/`watch` until it is; the pod is forgotten then.
   */
  delete(record: TrackedPod<S>, options: CallOptions): Promise<S | null>;
  /**
   * Reads the current state of many pods in one request (DescribeTasks of up to 100 tasks, ...):
   * for each record it learned about, the new state, or `null` when the backend no longer has it.
   * Records it learned nothing about are left out.
   */
  refresh?(records: readonly TrackedPod<S>[], options: CallOptions): Promise<ReadonlyMap<string, S | null>>;
  /**
   * Reads (and may reconcile) one pod: resolves with its new state, `null` when it is gone, or
   * nothing when it updated the state in place. Called right after create and update, by the
   * refresh loop when there is no `refresh`, and on `syncSoon`. Never runs twice at once for a pod,
   * nor while the pod is being created or deleted.
   */
  sync?(record: TrackedPod<S>, options: CallOptions): Promise<S | null | void>;
  /**
   * Follows the backend's own change feed (blocking queries, an event stream) until `signal`
   * aborts, reporting through `events`. Started after adoption; the runtime waits for it on close.
   */
  watch?(events: BackendEvents<S>, signal: AbortSignal): Promise<void>;
  /** Every pod the backend runs for this node, at start-up (adoption after a restart). */
  list?(options: CallOptions): Promise<Array<{ pod: V1Pod; state: S }>>;
  /** The backend's view of a pod in Kubernetes terms, which `buildPodStatus` turns into its status. */
  observe(record: TrackedPod<S>): PodObservation;
  /** Releases clients and connections; called last by `ProviderRuntime.close()`. */
  close?(): Promise<void> | void;
}

/** What a backend's `watch` reports through. */
export interface BackendEvents<S> {
  /** The pods being tracked (read them, do not change them). */
  readonly pods: PodTracker<S>;
  /** A pod's new state; `null` when the backend no longer has it. */
  report(uid: string, state: S | null): void;
  /** Something about this pod changed: run `sync` for it now. */
  syncSoon(uid: string): void;
}
