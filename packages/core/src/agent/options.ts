import type { V1Taint } from '@kubernetes/client-node';

import type { Logger, MetricMeter, Provider, ProviderContext } from '@vkubelet/provider-kit';

import type { KubeletAuthOptions, KubeletTlsOptions } from '../http/index.js';
import type { ClusterAccess } from '../kube/kubeconfig/index.js';

type CsrTls = Extract<KubeletTlsOptions, { csr: unknown }>;
/** Serving certificate: files, self-signed, or a CSR sent with the agent's own client. */
export type AgentTlsOptions = Exclude<KubeletTlsOptions, CsrTls> | { csr: Omit<CsrTls['csr'], 'client'> };

/**
 * Client-side API rate of a virtual node. A kubelet uses 50/100 for its ~100 pods; a virtual node
 * carries thousands, each needing a few writes (status, events, deletion) as it starts and stops, so
 * 50/s would queue a burst of pods for minutes. Fairness between clients is the API server's job
 * (API Priority and Fairness); derived projects run 500/1000 and more (tensile-kube, Liqo).
 */
export const DEFAULT_KUBE_API_QPS = 500;
export const DEFAULT_KUBE_API_BURST = 1000;

/**
 * Leader election between agents for one node (`--leader-elect`). The lock is the node's own Lease
 * in kube-node-lease by default: the one Lease a node identity may write (NodeRestriction), so no
 * RBAC is needed beyond what the Node authorizer grants, and the node heartbeat is the holder's
 * renewal. Timings default to client-go's (15 s, 10 s, 2 s).
 */
export interface LeaderElectionOptions {
  /** Lease name (default the node name). */
  leaseName?: string;
  /** Lease namespace (default kube-node-lease). */
  leaseNamespace?: string;
  /** This agent's holderIdentity (default `<hostname>_<random UUID>`). */
  identity?: string;
  /** How long a standby waits without seeing a renewal before it takes over (default 15 s). */
  leaseDurationMs?: number;
  /** How long the holder keeps trying to renew before it stops writing (default 10 s). */
  renewDeadlineMs?: number;
  /** Time between renewals and between a standby's tries (default 2 s). */
  retryPeriodMs?: number;
}

/** How a VirtualKubelet gets its provider: an instance, or a factory given the provider context. */
export type ProviderSource = Provider | ((context: ProviderContext) => Promise<Provider>);

export interface VirtualKubeletOptions {
  /** Name of the Node to register. */
  nodeName: string;
  /**
   * Server and credentials, ideally the node identity (system:node:<name>): `loadKubeconfig(path)`,
   * `inClusterAccess()` or `clusterAccess({ server, caPem, certPem, keyPem })`.
   */
  kubeConfig: ClusterAccess;
  provider: ProviderSource;
  /** Provider name, for the default taint value and logs. */
  providerName: string;
  /** Path handed to the provider factory (`--provider-config`). */
  providerConfigPath?: string;
  operatingSystem?: 'linux' | 'windows';
  /** InternalIP the node publishes (where the API server reaches the kubelet API). */
  nodeIP?: string;
  clusterDomain?: string;
  /** Taint on the Node; `null` registers without one. Default `virtual-kubelet.io/provider=<provider>:NoSchedule`. */
  taint?: V1Taint | null;
  nodeLabels?: Record<string, string>;
  /** The kubelet HTTPS API; `false` runs none (no logs/exec/metrics through the API server). */
  kubeletApi?:
    | false
    | {
        host?: string;
        port?: number;
        tls: AgentTlsOptions;
        auth: Omit<KubeletAuthOptions, 'webhook'> & { webhook?: boolean };
        streamIdleTimeoutMs?: number;
        streamCreationTimeoutMs?: number;
      };
  /** Plain-HTTP Prometheus endpoint of the process (`--metrics-addr`); omit for none. */
  metricsAddress?: { host: string; port: number };
  /** Workers per pod queue (default 10). */
  podSyncWorkers?: number;
  /** Client-side API requests per second (default DEFAULT_KUBE_API_QPS). */
  kubeApiQps?: number;
  /** Client-side API request burst (default DEFAULT_KUBE_API_BURST). */
  kubeApiBurst?: number;
  /** Fail `run()` if the node is not Ready within this (0 = wait for ever). */
  startupTimeoutMs?: number;
  /** Time `shutdown()` allows parts to finish before it stops waiting. */
  shutdownGraceMs?: number;
  /** Node status write interval (default 60 s); the lease is renewed every 10 s regardless. */
  nodeStatusIntervalMs?: number;
  leaseDurationSeconds?: number;
  /**
   * How often the provider's pods are checked against the API server's: dangling ones deleted, lost
   * ones marked Failed (default 60 s, `--full-resync-period`; 0 = at start-up only).
   */
  resyncPeriodMs?: number;
  /** Timeout of each provider call of the pod controller (default 2 min). */
  providerCallTimeoutMs?: number;
  /**
   * Run as one of several agents for this node: the one holding the leader lease runs the
   * controllers and the kubelet API, the others stand by and take over when it stops renewing.
   * Omit for a single agent.
   */
  leaderElection?: LeaderElectionOptions;
  logger?: Logger;
  /** Metrics backend; default a PrometheusMeter served on `metricsAddress`. */
  meter?: MetricMeter;
}
