import { describe, expect, it } from 'vitest';

import { containerGroupName, groupTags, identityFromTags, ownedBy, TAG } from '../../src/group/naming.js';

const ACI_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('container group names', () => {
  it('reads as namespace-name with a stable hash of both', () => {
    const name = containerGroupName('team', 'web');
    expect(name).toMatch(/^team-web-[0-9a-f]{8}$/);
    expect(containerGroupName('team', 'web')).toBe(name);
  });

  it('keeps apart names that would read the same', () => {
    expect(containerGroupName('x', 'a-b')).not.toBe(containerGroupName('x-a', 'b'));
    expect(containerGroupName('x', 'a.b')).not.toBe(containerGroupName('x', 'a-b'));
  });

  it('fits ACI rules and 63 characters for the longest names', () => {
    const namespace = 'n'.repeat(63);
    const names = [
      containerGroupName(namespace, 'p'.repeat(253)),
      containerGroupName(namespace, `${'p'.repeat(253)}x`.slice(1)),
      containerGroupName('a', 'b.-.c'),
      containerGroupName('z', `${'-'.repeat(10)}`),
    ];
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(ACI_NAME);
    }
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('tags', () => {
  const owner = { nodeName: 'vk', clusterName: 'blue' };

  it('name the pod and its owner without `/` (Azure tag names cannot hold it)', () => {
    const tags = groupTags({ namespace: 'ns', name: 'p', uid: 'u' }, owner);
    expect(Object.keys(tags).every(key => !key.includes('/'))).toBe(true);
    expect(identityFromTags(tags)).toEqual({ namespace: 'ns', name: 'p', uid: 'u' });
    expect(ownedBy(tags, owner)).toBe(true);
  });

  it('belong to this node and cluster only', () => {
    const tags = groupTags({ namespace: 'ns', name: 'p', uid: 'u' }, owner);
    expect(ownedBy(tags, { nodeName: 'other', clusterName: 'blue' })).toBe(false);
    expect(ownedBy(tags, { nodeName: 'vk', clusterName: 'green' })).toBe(false);
    expect(ownedBy(tags, { nodeName: 'vk' })).toBe(false);
    expect(ownedBy({ [TAG.node]: 'vk' }, { nodeName: 'vk' })).toBe(true);
    expect(identityFromTags({ [TAG.uid]: 'u' })).toBeUndefined();
  });
});
