export { AgentPartError, VirtualKubelet } from './agent/virtual-kubelet.js';
export type {
  AgentTlsOptions,
  LeaderElectionOptions,
  ProviderSource,
  VirtualKubeletOptions,
} from './agent/options.js';
export { IllegalStateError, type VirtualKubeletState } from './agent/lifecycle.js';
export { CORE_VERSION, KUBELET_VERSION, KUBERNETES_VERSION } from './agent/version.js';
export { main, runAgent, EXIT_USAGE, type ProcessControl } from './cli/main.js';
export {
  AGENT_HEAP_FLAGS,
  AGENT_MALLOC_ENV,
  useAgentHeapFlags,
  type HeapFlagsProcess,
} from './cli/heap-flags.js';
export { createPinoLogger, LOG_LEVELS, type LogLevel } from './logging/pino-logger.js';
export { PrometheusMeter } from './metrics/prometheus-meter.js';
export { KubeClient, KubeApiError, type KubeClientOptions } from './kube/client.js';
export {
  clusterAccess,
  inClusterAccess,
  isInCluster,
  KubeconfigError,
  loadKubeconfig,
  type ClusterAccess,
  type ClusterAccessValues,
  type InClusterOptions,
  type LoadKubeconfigOptions,
  type RequestCredentials,
  type TlsMaterial,
} from './kube/kubeconfig/index.js';
export {
  Informer,
  ScopedResourceCache,
  type InformerOptions,
  type ReferencedKind,
  type ScopedResourceCacheOptions,
} from './cache/index.js';
export {
  EventRecorder,
  eventsApiSink,
  type EventObject,
  type EventRecorderOptions,
  type EventSink,
  type EventType,
  type PodEventRecorder,
} from './events/index.js';
export {
  PodController,
  PodEventReason,
  type NodeAllocatable,
  type PodApi,
  type PodControllerOptions,
  type PodInformer,
} from './pod/index.js';
export { NodeController, type NodeControllerOptions } from './node/node-controller.js';
export { LEASE_NAMESPACE, LeaseController, type LeaseControllerOptions } from './node/lease-controller.js';
export { WorkQueue, type WorkQueueOptions } from './queue/index.js';
export { LeaderElector, LeadershipLostError, type LeaderElectorOptions } from './leader/leader-elector.js';
export { FencedWriteError, WriteFence } from './leader/write-fence.js';
export { KubeletServer, type KubeletServerOptions } from './http/index.js';
