import type { CriPodInventory } from '@vkubelet/provider-cri';
import { describe, expect, it } from 'vitest';

import { phaseOf, RuntimeRecord } from '../../src/backend/cri/record.js';

type Sandbox = CriPodInventory['sandboxes'][number];
type Container = CriPodInventory['containers'][number];

function pod(uid: string, sandboxes: Sandbox[], containers: Container[] = []): CriPodInventory {
  return { uid, namespace: 'default', name: `p-${uid}`, sandboxes, containers };
}
const ready = (id: string, attempt = 0): Sandbox => ({ id, state: 'SANDBOX_READY', attempt });
const notReady = (id: string, attempt = 0): Sandbox => ({ id, state: 'SANDBOX_NOTREADY', attempt });
const container = (
  id: string,
  sandboxId: string,
  state: Container['state'],
  attempt = 0,
  name = 'main',
): Container => ({ id, sandboxId, name, attempt, state });
const listing = (...pods: CriPodInventory[]): Map<string, CriPodInventory> =>
  new Map(pods.map(p => [p.uid, p]));

describe('the record of a CRI runtime', () => {
  it('records a creation once per UID, and a deletion when its last sandbox and container are gone', () => {
    const record = new RuntimeRecord();
    record.observe(listing(pod('a', [ready('s1')])), 1);
    record.observe(listing(pod('a', [ready('s1')], [container('c1', 's1', 'CONTAINER_RUNNING')])), 2);
    // A sandbox replaced (the old one not ready) is no second copy.
    record.observe(listing(pod('a', [notReady('s1'), ready('s2', 1)])), 3);
    record.observe(listing(pod('a', [], [container('c1', 's1', 'CONTAINER_EXITED')])), 4);
    record.observe(listing(), 5);
    expect(record.events().map(e => [e.t, e.op, e.uid])).toEqual([
      [1, 'created', 'a'],
      [5, 'deleted', 'a'],
    ]);
    expect(record.inventory()).toEqual([]);
  });

  it('takes a pod left out of a listing and back with the same sandbox as never gone', () => {
    const record = new RuntimeRecord();
    record.observe(listing(pod('a', [ready('s1')]), pod('b', [ready('s2')])), 1);
    record.observe(listing(pod('b', [ready('s2')])), 2); // a containerd recovering its sandboxes
    record.observe(listing(pod('a', [ready('s1')]), pod('b', [ready('s2')])), 3);
    // Gone, then a new sandbox: deleted and created again.
    record.observe(listing(pod('a', [ready('s1')])), 4);
    record.observe(listing(pod('a', [ready('s1')]), pod('b', [ready('s3')])), 5);
    expect(record.events().map(e => [e.t, e.op, e.uid])).toEqual([
      [1, 'created', 'a'],
      [1, 'created', 'b'],
      [4, 'deleted', 'b'],
      [5, 'created', 'b'],
    ]);
    expect(record.partialListings).toBe(1);
  });

  it('takes a half-made sandbox cleaned up and made again as one creation', () => {
    const record = new RuntimeRecord();
    record.observe(listing(pod('a', [notReady('s1')])), 1);
    record.observe(listing(), 2);
    record.observe(listing(pod('a', [ready('s2', 1)])), 3);
    expect(record.events().map(e => [e.t, e.op, e.uid])).toEqual([[1, 'created', 'a']]);
  });

  it('records a second copy: two ready sandboxes, or two running instances of one container', () => {
    const record = new RuntimeRecord();
    record.observe(listing(pod('a', [ready('s1')]), pod('b', [ready('s3')])), 1);
    record.observe(
      listing(
        pod('a', [ready('s1'), ready('s2')]),
        pod(
          'b',
          [ready('s3')],
          [container('c1', 's3', 'CONTAINER_RUNNING'), container('c2', 's3', 'CONTAINER_RUNNING', 1)],
        ),
      ),
      2,
    );
    record.observe(listing(pod('a', [ready('s1'), ready('s2')]), pod('b', [ready('s3')])), 3);
    expect(record.events().map(e => [e.t, e.op, e.uid])).toEqual([
      [1, 'created', 'a'],
      [1, 'created', 'b'],
      [2, 'created', 'a'],
      [2, 'created', 'b'],
    ]);
  });

  it('gives each pod the phase of its newest containers in a ready sandbox', () => {
    expect(phaseOf(pod('a', [notReady('s1')], [container('c1', 's1', 'CONTAINER_RUNNING')]))).toBe(
      'NotReady',
    );
    expect(phaseOf(pod('a', [ready('s1')]))).toBe('Pending');
    expect(phaseOf(pod('a', [ready('s1')], [container('c1', 's1', 'CONTAINER_CREATED')]))).toBe('Pending');
    expect(
      phaseOf(
        pod(
          'a',
          [ready('s1')],
          [container('c1', 's1', 'CONTAINER_EXITED'), container('c2', 's1', 'CONTAINER_RUNNING', 1)],
        ),
      ),
    ).toBe('Running');
    expect(
      phaseOf(
        pod(
          'a',
          [notReady('s0'), ready('s1')],
          [container('c0', 's0', 'CONTAINER_RUNNING'), container('c1', 's1', 'CONTAINER_EXITED')],
        ),
      ),
    ).toBe('Exited');
  });
});
