import type { V1ObjectMeta } from '@kubernetes/client-node';

/** What every cached object has: metadata with a name (and a namespace unless cluster-scoped). */
export interface KubeObject {
  metadata?: V1ObjectMeta;
}

/** The cache key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error('object without metadata.name cannot be cached');
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/** Drop managedFields: large, never read by the agent, and most of a cached object's memory. */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields !== undefined) delete obj.metadata.managedFields;
  return obj;
}
