import type { V1Container, V1ContainerStateTerminated } from '@kubernetes/client-node';
import type { TrackedPod } from '@vkubelet/provider-kit';

import type { ContainerStatus, PodSandboxConfig } from '../cri/types.js';
import type { ContainerKind } from './container-config.js';

/** Why a container is not running yet, as kubelet words it (ErrImagePull, CrashLoopBackOff, ...). */
export interface WaitingReason {
  reason: string;
  message?: string;
}

/** What the provider knows about one container of a pod across its restarts. */
export interface ContainerRecord {
  kind: ContainerKind;
  spec: V1Container;
  /** CRI id of the current instance, once created. */
  id?: string;
  /** CRI id of the instance before the current one (kept for `logs --previous`). */
  previousId?: string;
  /** CRI metadata.attempt of the current instance; also the restart count. */
  attempt: number;
  /** Latest CRI status of the current instance. */
  status?: ContainerStatus;
  /** How the previous instance ended. */
  lastTermination?: V1ContainerStateTerminated;
  /** Shown while no instance runs: image pull errors, crash back-off. */
  waiting?: WaitingReason;
  /** Not before this time (ms) may the container be (re)started. */
  notBefore: number;
  /** Current back-off step (ms); 0 until the first failure. */
  backoffMs: number;
  /** A changed spec (new image) to restart the container with on the next sync. */
  replaceWith?: V1Container;
  /** The image reference the runtime resolved. */
  imageRef?: string;
  /**
   * The current instance went with its sandbox: `status` is its last report and nothing of it is
   * left in the runtime (a container that succeeded under OnFailure keeps it so in a new sandbox).
   */
  removed?: boolean;
}

/** What the provider keeps per pod (the runtime's state): its sandbox and containers in the runtime. */
export interface SandboxRecord {
  podDir: string;
  sandboxConfig: PodSandboxConfig;
  sandboxId: string;
  sandboxReady: boolean;
  podIP?: string;
  createdAt: Date;
  /** Volume name → host path to bind-mount. */
  hostPaths: Map<string, string>;
  init: ContainerRecord[];
  app: ContainerRecord[];
  /** activeDeadlineSeconds passed: containers stopped, the pod Failed for good. */
  deadlineExceeded?: boolean;
  /**
   * The sandbox stopped and the restart policy leaves nothing to run in a new one (the kubelet
   * would not make one): the pod is over once its containers are.
   */
  ended?: boolean;
  /** A delete began before the agent restarted (podDir holds its marker): nothing starts again. */
  deleteStarted?: boolean;
  /** A failed RunPodSandbox is tried again from this time (ms), with the crash back-off. */
  sandboxRetryAt?: number;
  sandboxBackoffMs?: number;
}

/** A pod as the provider runtime tracks it, with its sandbox record. */
export type CriPod = TrackedPod<SandboxRecord>;

export function newContainerRecord(kind: ContainerKind, spec: V1Container): ContainerRecord {
  return { kind, spec, attempt: 0, notBefore: 0, backoffMs: 0 };
}
