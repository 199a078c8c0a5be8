import type { V1Container, V1Pod } from '@kubernetes/client-node';

import type { Provider } from '../provider.js';

/**
 * What a provider declares it supports. A check that needs an undeclared capability is reported
 * "not applicable", never passed. The pod lifecycle (create, get, list, update, delete, NotFound,
 * Running) is always checked.
 */
export interface ConformanceCapabilities {
  /** Pods report Succeeded/Failed with the containers' real exit codes. */
  exitCodes?: boolean;
  /** restartPolicy Always/OnFailure restart containers and count restarts. */
  restartPolicies?: boolean;
  initContainers?: boolean;
  multiContainer?: boolean;
  /** The provider implements notifyPods. */
  notifier?: boolean;
  logs?: boolean;
  /** `follow` keeps the log stream open for new lines. */
  followLogs?: boolean;
  exec?: boolean;
  attach?: boolean;
  portForward?: boolean;
  stats?: boolean;
  /** A second provider instance (a restarted agent) finds the pods the first one started. */
  persistence?: boolean;
}

/** Every capability, for providers (like the mock and CRI) that offer them all. */
export const ALL_CAPABILITIES: Required<ConformanceCapabilities> = {
  exitCodes: true,
  restartPolicies: true,
  initContainers: true,
  multiContainer: true,
  notifier: true,
  logs: true,
  followLogs: true,
  exec: true,
  attach: true,
  portForward: true,
  stats: true,
  persistence: true,
};

export type CapabilityName = keyof ConformanceCapabilities;

export interface ConformanceTimeouts {
  /** From createPod until the pod runs. */
  podRunningMs: number;
  /** From a container's exit until the provider reports it. */
  podExitMs: number;
  /** Upper bound of one check, clean-up included. */
  checkMs: number;
}

/** How the suite builds containers; defaults run busybox with `sh -c SCRIPT`. */
export interface ConformanceWorkloads {
  /** A container that runs `script` in a POSIX shell. */
  shell(name: string, script: string): V1Container;
  /** A container that answers on `port` by echoing what it receives (for port-forward). */
  echoServer(name: string, port: number): V1Container;
}

export interface ConformanceOptions {
  /** Provider name, as in `conformance-reports/<name>.json`. */
  name: string;
  /** Makes a provider for the backend under test; called again to simulate an agent restart. */
  createProvider: () => Promise<Provider>;
  capabilities: ConformanceCapabilities;
  /**
   * Why the backend cannot offer a capability left out of `capabilities` (no attach API, no
   * containers to run): the report shows it next to each check that needs the capability.
   */
  notApplicable?: Partial<Record<CapabilityName, string>>;
  /** Adjusts every pod before creation (node name, tolerations, images the backend can pull). */
  podTemplate?: (pod: V1Pod) => V1Pod;
  workloads?: Partial<ConformanceWorkloads>;
  timeouts?: Partial<ConformanceTimeouts>;
  /** Namespace of the suite's pods; `vk-conformance` by default. */
  namespace?: string;
  /** Pods the "many pods in parallel" check starts; 20 by default. */
  parallelPods?: number;
  /** Everything the backend still holds for this node; enables the leak check. */
  listBackendResources?: () => Promise<string[]>;
  /** Where `<name>.json` and `<name>.md` are written; no report without it. */
  report?: { dir: string };
}

export type CheckStatus = 'passed' | 'failed' | 'not-applicable';

export interface CheckResult {
  id: string;
  title: string;
  category: string;
  status: CheckStatus;
  durationMs: number;
  /** Why it failed, or which capability it needs when not applicable. */
  detail?: string;
}

/** The machine-readable report, `conformance-reports/<provider>.json`. */
export interface ConformanceReport {
  provider: string;
  generatedAt: string;
  capabilities: ConformanceCapabilities;
  summary: Record<CheckStatus, number>;
  results: CheckResult[];
}
