import type { V1Node } from '@kubernetes/client-node';

/** What a provider's node offers the scheduler. */
export interface NodeOffer {
  /** Resources the node has (`cpu`, `memory`, `pods`, ...). */
  capacity: Readonly<Record<string, string>>;
  /** What pods may use; the capacity when left out. */
  allocatable?: Readonly<Record<string, string>>;
  /** Labels to add (`kubernetes.io/os`, `topology.kubernetes.io/region`, ...). */
  labels?: Readonly<Record<string, string>>;
}

/**
 * Adds a provider's resources and labels to the Node core is about to register, keeping everything
 * else core and the operator put there (`--node-labels`, other resources, conditions).
 */
export function advertiseNode(node: V1Node, offer: NodeOffer): void {
  node.status = {
    ...node.status,
    capacity: { ...node.status?.capacity, ...offer.capacity },
    allocatable: { ...node.status?.allocatable, ...(offer.allocatable ?? offer.capacity) },
  };
  if (offer.labels)
    node.metadata = { ...node.metadata, labels: { ...node.metadata?.labels, ...offer.labels } };
}
