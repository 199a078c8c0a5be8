import type { Attributes } from '@opentelemetry/api';
import type { V1Pod } from '@kubernetes/client-node';

/**
 * Attribute names from the OpenTelemetry semantic conventions (k8s, RPC, HTTP, errors) and
 * vkubelet's own (`vkubelet.*`), written out here rather than imported: the conventions package is
 * large, and these strings are all that is needed.
 */
export const SpanAttribute = {
  K8S_NAMESPACE_NAME: 'k8s.namespace.name',
  K8S_POD_NAME: 'k8s.pod.name',
  K8S_POD_UID: 'k8s.pod.uid',
  K8S_NODE_NAME: 'k8s.node.name',
  K8S_CONTAINER_NAME: 'k8s.container.name',
  RPC_SYSTEM: 'rpc.system',
  RPC_SERVICE: 'rpc.service',
  RPC_METHOD: 'rpc.method',
  ERROR_TYPE: 'error.type',
  /** The backend a provider calls, as `backendCaller({ system })` names it. */
  BACKEND_SYSTEM: 'vkubelet.backend.system',
  /** Attempts a backend request took, its client's own retries included. */
  BACKEND_ATTEMPTS: 'vkubelet.backend.attempts',
  /** Pods a provider-runtime refresh pass covers. */
  POD_COUNT: 'vkubelet.pod.count',
} as const;

/** The k8s attributes of a pod (namespace, name, UID: those it has), for spans about it. */
export function podAttributes(pod: Pick<V1Pod, 'metadata'> | undefined): Attributes {
  const { namespace, name, uid } = pod?.metadata ?? {};
  const attributes: Attributes = {};
  if (namespace) attributes[SpanAttribute.K8S_NAMESPACE_NAME] = namespace;
  if (name) attributes[SpanAttribute.K8S_POD_NAME] = name;
  if (uid) attributes[SpanAttribute.K8S_POD_UID] = uid;
  return attributes;
}
