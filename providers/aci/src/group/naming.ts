import { createHash } from 'node:crypto';

import type { PodIdentity } from '@vkubelet/provider-kit';

/**
 * Tags on every container group this provider creates: the only record of which pod a group runs,
 * so that a restarted agent adopts its groups instead of creating new ones. Azure tag names cannot
 * hold `/`, hence no `vkubelet.io/` prefix.
 */
export const TAG = {
  uid: 'vkubelet-pod-uid',
  namespace: 'vkubelet-pod-namespace',
  name: 'vkubelet-pod-name',
  node: 'vkubelet-node',
  cluster: 'vkubelet-cluster',
} as const;

/** ACI's limit for container group names. */
const MAX_NAME = 63;
const HASH_LENGTH = 8;

/**
 * The container group of a pod: `<namespace>-<name>-<hash>`, lowercase letters, digits and `-`
 * (ACI's rule), at most 63 characters. The hash of `namespace/name` keeps names apart that would
 * read the same (`a-b` in `x` and `b` in `x-a`, or `a.b` and `a-b`), and lets a long name be cut
 * while staying unique and stable: the same pod name always gives the same group name.
 */
export function containerGroupName(namespace: string, name: string): string {
  const hash = createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, HASH_LENGTH);
  const readable = `${namespace}-${name}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  const room = MAX_NAME - HASH_LENGTH - 1;
  const prefix = readable.slice(0, room).replace(/-+$/, '');
  return prefix ? `${prefix}-${hash}` : hash;
}

/** Who a group belongs to: this node, and this cluster when one is configured. */
export interface GroupOwner {
  nodeName: string;
  clusterName?: string | undefined;
}

export function groupTags(identity: PodIdentity, owner: GroupOwner): Record<string, string> {
  return {
    [TAG.uid]: identity.uid,
    [TAG.namespace]: identity.namespace,
    [TAG.name]: identity.name,
    [TAG.node]: owner.nodeName,
    ...(owner.clusterName ? { [TAG.cluster]: owner.clusterName } : {}),
  };
}

/** True when the tags say this node (and cluster) created the group. */
export function ownedBy(tags: Record<string, string> | undefined, owner: GroupOwner): boolean {
  if (tags?.[TAG.node] !== owner.nodeName) return false;
  return (tags[TAG.cluster] ?? undefined) === (owner.clusterName ?? undefined);
}

/** The pod a group was created for, from its tags. */
export function identityFromTags(tags: Record<string, string> | undefined): PodIdentity | undefined {
  const uid = tags?.[TAG.uid];
  const namespace = tags?.[TAG.namespace];
  const name = tags?.[TAG.name];
  return uid && namespace && name ? { uid, namespace, name } : undefined;
}
