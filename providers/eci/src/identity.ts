import { createHash } from 'node:crypto';

import { InvalidInputError, type PodIdentity } from '@vkubelet/provider-kit';

import type { EciTag } from './client/wire.js';

/**
 * Tags on every container group this provider creates: the only record of which pod a group runs,
 * so a restarted agent adopts its groups (by node and cluster) instead of creating new ones, and a
 * retried create finds the group of its UID.
 */
export const TAG = {
  cluster: 'vkubelet.io/cluster',
  node: 'vkubelet.io/node',
  namespace: 'vkubelet.io/pod-namespace',
  name: 'vkubelet.io/pod-name',
  uid: 'vkubelet.io/pod-uid',
} as const;

/** ECI: a tag value holds at most 128 characters. */
const MAX_TAG_VALUE = 128;
/** ECI: a group name is 2-128 lowercase letters, digits and hyphens, not starting or ending with one. */
const MAX_GROUP_NAME = 128;

/** Where the group of this node's pods are: the tags every lookup filters by. */
export interface NodeScope {
  clusterName: string;
  nodeName: string;
}

/** Tags of a pod's group; refuses a pod whose name no tag can hold. */
export function podTags(identity: PodIdentity, scope: NodeScope): EciTag[] {
  if (identity.name.length > MAX_TAG_VALUE) {
    throw new InvalidInputError(
      `metadata.name: ECI tags hold at most ${MAX_TAG_VALUE} characters, this name has ${identity.name.length}`,
    );
  }
  return [
    { Key: TAG.cluster, Value: scope.clusterName },
    { Key: TAG.node, Value: scope.nodeName },
    { Key: TAG.namespace, Value: identity.namespace },
    { Key: TAG.name, Value: identity.name },
    { Key: TAG.uid, Value: identity.uid },
  ];
}

/** The tag filter of every group this node runs. */
export function scopeTags(scope: NodeScope): EciTag[] {
  return [
    { Key: TAG.cluster, Value: scope.clusterName },
    { Key: TAG.node, Value: scope.nodeName },
  ];
}

/** The pod identity in a group's tags, if this node of this cluster created it. */
export function identityFromTags(
  tags: readonly EciTag[] | undefined,
  scope: NodeScope,
): PodIdentity | undefined {
  const byKey = new Map((tags ?? []).map(tag => [tag.Key, tag.Value]));
  if (byKey.get(TAG.node) !== scope.nodeName || byKey.get(TAG.cluster) !== scope.clusterName)
    return undefined;
  const namespace = byKey.get(TAG.namespace);
  const name = byKey.get(TAG.name);
  const uid = byKey.get(TAG.uid);
  if (!namespace || !name || !uid) return undefined;
  return { namespace, name, uid };
}

/**
 * Group name `<namespace>-<name>` as ECI allows it (lowercase letters, digits, hyphens; dots of pod
 * names become hyphens); a longer one is cut and ends with a hash of the UID, so the console still
 * shows which pod it is. Names need not be unique in ECI: the UID tag is what identifies a group.
 */
export function groupName(identity: PodIdentity): string {
  const name = `${identity.namespace}-${identity.name}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '');
  if (name.length <= MAX_GROUP_NAME) return name.length >= 2 ? name : `${name}-pod`;
  const hash = createHash('sha256').update(identity.uid).digest('hex').slice(0, 10);
  return `${name.slice(0, MAX_GROUP_NAME - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}
