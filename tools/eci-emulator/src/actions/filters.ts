import type { ContainerGroup } from '../groups/group.js';
import type { Params } from '../rpc/params.js';

const MAX_IDS = 20;
const STATUSES = [
  'Pending',
  'Running',
  'Succeeded',
  'Failed',
  'Scheduling',
  'ScheduleFailed',
  'Restarting',
  'Updating',
  'Terminating',
  'Expired',
] as const;

export interface GroupQuery {
  matches(group: ContainerGroup): boolean;
  /** The filters as a string: a NextToken is only valid for the query that issued it. */
  fingerprint: string;
}

/**
 * The filters the Describe* actions share: ContainerGroupIds (a JSON array of at most 20),
 * Tag.N.Key/Value (all must match; a tag without Value matches the key alone), and the optional
 * Status, ContainerGroupName, ZoneId, VSwitchId, SecurityGroupId, ResourceGroupId.
 */
export function readGroupQuery(params: Params, { withAttributes }: { withAttributes: boolean }): GroupQuery {
  const ids = params.jsonStrings('ContainerGroupIds', { max: MAX_IDS });
  const tags = params
    .list('Tag', { max: 20 })
    .map(tag => ({ key: tag.requiredString('Key'), value: tag.string('Value') }));
  const status = withAttributes ? params.enumeration('Status', STATUSES) : undefined;
  const attributes = withAttributes
    ? {
        name: params.string('ContainerGroupName') || undefined,
        zoneId: params.string('ZoneId') || undefined,
        vSwitchId: params.string('VSwitchId') || undefined,
        securityGroupId: params.string('SecurityGroupId') || undefined,
        resourceGroupId: params.string('ResourceGroupId') || undefined,
      }
    : {};
  const idSet = ids ? new Set(ids) : undefined;
  return {
    fingerprint: JSON.stringify({ ids, tags, status, attributes }),
    matches(group) {
      const { spec } = group;
      if (idSet && !idSet.has(group.id)) return false;
      for (const tag of tags) {
        const found = spec.tags.find(candidate => candidate.key === tag.key);
        if (!found || (tag.value !== undefined && tag.value !== '' && found.value !== tag.value))
          return false;
      }
      if (status && group.status() !== status) return false;
      if (attributes.name && spec.name !== attributes.name) return false;
      if (attributes.zoneId && spec.zoneId !== attributes.zoneId) return false;
      if (attributes.vSwitchId && !spec.vSwitchId.split(',').includes(attributes.vSwitchId)) return false;
      if (attributes.securityGroupId && spec.securityGroupId !== attributes.securityGroupId) return false;
      if (attributes.resourceGroupId && spec.resourceGroupId !== attributes.resourceGroupId) return false;
      return true;
    },
  };
}

/** `Limit`: at most `max`, `fallback` when absent. */
export function readLimit(params: Params, fallback: number, max: number): number {
  return params.integer('Limit', { min: 1, max }) ?? fallback;
}
