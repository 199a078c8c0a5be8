import type { V1Pod } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';

import type { Logger, MetricMeter, Provider } from '@vkubelet/provider-kit';

import type { AuthApis } from './auth/types.js';
import type { StreamingProtocols } from './streaming-contract.js';
import type { CsrSourceOptions } from './tls/csr-source.js';

export interface ListenAddress {
  /** Default 0.0.0.0 (all interfaces), as `KUBELET_PORT` upstream. Tests bind 127.0.0.1. */
  host?: string;
  /** Default 10250; 0 picks a free port (see `start()`'s answer). */
  port?: number;
}

/** Where the serving certificate comes from. */
export type KubeletTlsOptions =
  /** PEM files (APISERVER_CERT_LOCATION / APISERVER_KEY_LOCATION), reloaded when they change. */
  | { certFile: string; keyFile: string }
  /** A throw-away self-signed certificate: development only. */
  | { selfSigned: true; hosts?: string[] }
  /** A certificate from the cluster's kubelet-serving signer, renewed before it expires. */
  | { csr: Omit<CsrSourceOptions, 'nodeName' | 'logger' | 'hosts'> & { hosts?: string[] } };

export interface KubeletAuthOptions {
  /** CA bundle that client certificates must chain to (APISERVER_CA_CERT_LOCATION). */
  clientCaFile?: string;
  /** TokenReview + SubjectAccessReview through these APIs (core's KubeClient). Without it every
   * authenticated request is allowed, the kubelet's AlwaysAllow mode. */
  webhook?: AuthApis;
  /** Accept requests without credentials as system:anonymous. Development only; default false. */
  anonymous?: boolean;
  cache?: {
    authenticationTtlMs?: number;
    allowTtlMs?: number;
    denyTtlMs?: number;
    maxEntries?: number;
  };
}

export interface KubeletServerOptions {
  nodeName: string;
  /**
   * The provider requests go to; or a function returning it, for a server that binds its port
   * before the provider exists (VirtualKubelet tells the provider the port it listens on). The
   * function is called per request, only once `start()` has been called.
   */
  provider: Provider | (() => Provider);
  /** Pods bound to this node, from the pod informer (served on /pods). */
  listPods: () => V1Pod[];
  listen?: ListenAddress;
  tls: KubeletTlsOptions;
  auth: KubeletAuthOptions;
  /** A connection that has not completed its TLS handshake by then is closed (default 30 s). */
  tlsHandshakeTimeoutMs?: number;
  streaming?: {
    /** `--stream-idle-timeout`; default the streaming layer's (the kubelet's 4 h). */
    idleTimeoutMs?: number;
    /** `--stream-creation-timeout`; default 30 s. */
    creationTimeoutMs?: number;
    /** The SPDY/WebSocket protocol layer; default src/streaming. */
    protocols?: StreamingProtocols;
  };
  logger?: Logger;
  metrics?: {
    /** Request counts and latencies of the kubelet API are recorded here. */
    meter?: MetricMeter;
    /** Served as `/metrics` on the plain-HTTP metrics port when `listen` is set. */
    registry?: Pick<Registry, 'metrics' | 'contentType'>;
    /** `--metrics-addr`: where the metrics server listens (omit to run none). */
    listen?: ListenAddress;
  };
}
