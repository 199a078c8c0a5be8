import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

import type { BackendEvent } from '../../src/backend/types.js';
import { lostForGood, unconverged } from '../../src/converge.js';
import { KIND_LABEL } from '../../src/workload.js';

function pod(uid: string, kind: string, phase: string, deleting = false): V1Pod {
  return {
    metadata: {
      name: uid,
      namespace: 'default',
      uid,
      labels: { [KIND_LABEL]: kind },
      ...(deleting ? { deletionTimestamp: new Date() } : {}),
    },
    status: { phase },
  };
}

describe('convergence', () => {
  it('wants pods Running in both places, jobs Succeeded, lost pods Failed, deleted pods gone', () => {
    const api = [
      pod('run', 'long', 'Running'),
      pod('job', 'job', 'Succeeded'),
      pod('lost', 'long', 'Failed'),
      pod('short', 'short', 'Running'),
    ];
    const inventory = [
      { pod: 'default/run', uid: 'run', phase: 'Running' },
      { pod: 'default/job', uid: 'job', phase: 'Succeeded' },
      { pod: 'default/short', uid: 'short', phase: 'Running' },
    ];
    expect(unconverged(api, inventory, new Set(['lost']))).toEqual([]);
  });

  it('names every pod that is not there yet', () => {
    const api = [
      pod('pending', 'long', 'Pending'),
      pod('stale', 'long', 'Running'),
      pod('job', 'job', 'Running'),
      pod('lost', 'long', 'Running'),
      pod('leaving', 'short', 'Running', true),
    ];
    const inventory = [
      { pod: 'default/pending', uid: 'pending', phase: 'Pending' },
      { pod: 'default/job', uid: 'job', phase: 'Running' },
      { pod: 'default/leaving', uid: 'leaving', phase: 'Running' },
      { pod: 'default/orphan', uid: 'orphan', phase: 'Running' },
    ];
    expect(unconverged(api, inventory, new Set(['lost'])).map(problem => problem.uid)).toEqual([
      'pending',
      'stale',
      'job',
      'lost',
      'leaving',
      'orphan',
    ]);
  });
});

describe('lostForGood', () => {
  const event = (t: number, op: BackendEvent['op'], uid: string): BackendEvent => ({
    t,
    op,
    uid,
    pod: `default/${uid}`,
  });

  it('a pod the backend lost is lost for good unless it was created again after the loss', () => {
    const events = [
      event(1, 'created', 'gone'),
      event(2, 'lost', 'gone'),
      event(1, 'created', 'again'),
      event(2, 'lost', 'again'),
      event(3, 'created', 'again'),
    ];
    expect([...lostForGood(events)]).toEqual(['gone']);
  });
});
