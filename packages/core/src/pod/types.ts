import type { V1Pod } from '@kubernetes/client-node';
import type { SpanContext } from '@opentelemetry/api';

import type { PodTrace } from './pod-trace.js';

import type { KubeClient } from '../kube/client.js';

/**
 * The pod informer the controller reads (spec.nodeName=<node>, fully synced before use). Structural,
 * so core's `Informer<V1Pod>` fits and tests can pass a fake.
 */
export interface PodInformer {
  get(key: string): V1Pod | undefined;
  list(): V1Pod[];
  /** Resolves once the first list is stored; rejects when `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** Registers handlers (cached pods replayed to onAdd); returns the unregister function. */
  addHandlers(handlers: {
    onAdd?(pod: V1Pod): void;
    onUpdate?(oldPod: V1Pod, newPod: V1Pod): void;
    onDelete?(pod: V1Pod): void;
  }): () => void;
}

/** The API calls the controller makes; core's `KubeClient` provides them. */
export type PodApi = Pick<KubeClient, 'write'>;

/** What the controller remembers about one pod key between syncs. */
export interface PodState {
  uid: string;
  /** The provider holds this pod (created by us, or found at start-up with the same UID). */
  inProvider: boolean;
  /** The resolved pod last handed to the provider successfully (or found in it at start-up). */
  applied?: V1Pod;
  /** The pod as the provider last reported it (notifier or poll). */
  reported?: V1Pod;
  /** A ProviderFailed or CreateContainerConfigError status is on the API pod, to clear once the provider succeeds. */
  failureWritten: boolean;
  /** provider.deletePod has succeeded for this UID. */
  deletedInProvider: boolean;
  /** Started, then lost by the provider out of band: reported Failed, never created again. */
  lost?: boolean;
  /** The force delete from the API server has succeeded for this UID. */
  forceDeleted?: boolean;
  /** Ephemeral containers refused (event recorded, status written) for a provider that cannot run them. */
  refusedEphemeral?: Set<string>;
  /** The trace this pod's status writes and force delete join (see pod-trace.ts). */
  trace?: PodTrace;
  /** The span the provider's latest report came from (a refresh pass, a poll), linked from the status write. */
  reportedIn?: SpanContext;
}
