import type { V1Container } from '@kubernetes/client-node';

import type { Rng } from '../random.js';
import type { PodKind } from '../workload.js';

/** What a backend did to a pod, as the backend itself saw it: the record the invariants check. */
export interface BackendEvent {
  /** Epoch ms on the soak's clock. */
  t: number;
  /**
   * created: a copy of the pod now runs (a second one for the same UID is a double creation);
   * deleted: a provider call removed it; lost: it vanished out of band (a fault, not the agent).
   */
  op: 'created' | 'deleted' | 'lost';
  /** `namespace/name` */
  pod: string;
  uid: string;
  /** The agent that made the call, when the backend knows. */
  agent?: string;
}

/** A pod the backend runs at the end. */
export interface BackendPod {
  pod: string;
  uid: string;
  phase: string | undefined;
}

/** How a pod of one kind runs on this backend: its containers, and annotations the backend reads. */
export interface PodTemplate {
  containers: V1Container[];
  annotations?: Record<string, string>;
}

/** A fault only this backend can cause; it returns what it did, or undefined when it had nothing to do. */
export interface BackendFault {
  kind: string;
  inject(rng: Rng): Promise<string | undefined>;
}

/**
 * What the soak needs from the backend behind the provider, so that a provider other than the mock
 * (issue 22: CRI on a private containerd) is one adapter: how an agent runs its provider, the
 * backend's own record of what it created and deleted (kept outside the agent process, so it
 * survives agent kills), what it runs at the end, and the faults it can inject.
 */
export interface SoakBackend {
  readonly name: string;
  /** What a run on this backend does unless told otherwise. */
  readonly defaults?: SoakDefaults;
  /** Starts the backend (files under `dir`). */
  start(dir: string): Promise<void>;
  /** The agent command-line arguments that select and configure this provider, for agent `agent`. */
  agentArgs(agent: string): string[];
  /**
   * The containers of a pod of `kind`: long and short ones run until deleted; a job's exits 0 after a
   * few seconds (restartPolicy Never).
   */
  podTemplate(kind: PodKind, rng: Rng): PodTemplate;
  /** Faults beyond the common ones (control plane, proxy, agent kills). */
  faults(): BackendFault[];
  /** Ends every fault window still open: the chaos is over. */
  calm(): Promise<void>;
  /** Everything created, deleted or lost so far, oldest first. */
  events(): Promise<BackendEvent[]>;
  /** What runs now. */
  inventory(): Promise<BackendPod[]>;
  stop(): Promise<void>;
}

/** A backend's defaults for the options of runSoak that it cares about. */
export interface SoakDefaults {
  /** Only these fault kinds. */
  faults?: readonly string[];
  /** Kinds injected at least once. */
  mustInclude?: readonly string[];
  /** Kinds injected together at the end of the chaos, pods still churning: the last fault, from which convergence is timed. */
  finale?: readonly string[];
  /** An agent that ended starts again after a delay uniform in [min, max] ms (default 0-3 s). */
  agentRestartDelayMs?: { min: number; max: number };
}
