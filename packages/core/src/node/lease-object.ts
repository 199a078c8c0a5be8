import type { V1Lease, V1LeaseSpec, V1OwnerReference } from '@kubernetes/client-node';

/**
 * `lease` (as read, or new) ready to write as `namespace/name`: a coordination.k8s.io/v1 Lease with
 * `spec` over its own spec and, when given, these owner references.
 */
export function leaseObject(
  lease: V1Lease,
  where: { namespace: string; name: string; ownerReferences?: V1OwnerReference[] },
  spec: V1LeaseSpec,
): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    ...lease,
    metadata: {
      ...lease.metadata,
      name: where.name,
      namespace: where.namespace,
      ...(where.ownerReferences ? { ownerReferences: where.ownerReferences } : {}),
    },
    spec: { ...lease.spec, ...spec },
  };
}
