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
  logger?: Logger;
  /** Metrics backend; default a PrometheusMeter served on `metricsAddress`. */
  meter?: MetricMeter;
}
