import type { V1ObjectMeta } from '@kubernetes/client-node';

import { jsonEqual } from '@vkubelet/provider-kit';

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

/**
 * `next` with every top-level part other than metadata and status (a pod's spec, a ConfigMap's data)
 * replaced by the previous object's when equal. Most updates of a pod change only its status, so the
 * spec stays one shared object across versions: a node with 10,000 pods keeps one spec per pod
 * instead of one per version still referenced (the controller keeps what it last handed the
 * provider), and consumers can tell "spec unchanged" by identity.
 */
export function shareUnchangedParts<T extends KubeObject>(previous: T, next: T): T {
  const before = previous as Record<string, unknown>;
  const after = next as Record<string, unknown>;
  for (const part of Object.keys(after)) {
    if (part === 'metadata' || part === 'status') continue;
    if (before[part] !== undefined && jsonEqual(before[part], after[part])) after[part] = before[part];
  }
  return next;
}
