import { createHash } from 'node:crypto';

import type { Tag } from '@aws-sdk/client-ecs';
import type { PodIdentity } from '@vkubelet/provider-kit';

/**
 * Tags on every task and task definition this provider creates. They are the only record of which
 * pod a task belongs to, so that a restarted agent can adopt its tasks instead of starting new ones.
 */
export const TAG = {
  uid: 'vkubelet.io/pod-uid',
  namespace: 'vkubelet.io/pod-namespace',
  name: 'vkubelet.io/pod-name',
  node: 'vkubelet.io/node',
} as const;

const MAX_FAMILY = 255;

/**
 * Task definition family `vk-<namespace>-<name>`: ECS allows letters, digits, `-` and `_`, so the
 * dots of a pod name become `_`. Long names are shortened with a hash so two pods never share one.
 */
export function taskFamily(namespace: string, name: string): string {
  const family = `vk-${namespace}-${name}`.replaceAll('.', '_');
  if (family.length <= MAX_FAMILY) return family;
  const hash = createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 12);
  return `${family.slice(0, MAX_FAMILY - hash.length - 1)}-${hash}`;
}

export function podTags(identity: PodIdentity, nodeName: string): Tag[] {
  return [
    { key: TAG.uid, value: identity.uid },
    { key: TAG.namespace, value: identity.namespace },
    { key: TAG.name, value: identity.name },
    { key: TAG.node, value: nodeName },
  ];
}

/** The pod identity in a task's tags, if it was started by this node. */
export function identityFromTags(tags: Tag[] | undefined, nodeName: string): PodIdentity | undefined {
  const byKey = new Map((tags ?? []).map(tag => [tag.key, tag.value]));
  if (byKey.get(TAG.node) !== nodeName) return undefined;
  const namespace = byKey.get(TAG.namespace);
  const name = byKey.get(TAG.name);
  const uid = byKey.get(TAG.uid);
  if (!namespace || !name || !uid) return undefined;
  return { namespace, name, uid };
}
