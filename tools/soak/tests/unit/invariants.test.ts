import { describe, expect, it } from 'vitest';

import type { BackendEvent } from '../../src/backend/types.js';
import type { PodHistory } from '../../src/history.js';
import {
  checkInvariants,
  countViolations,
  regressions,
  spuriousFailures,
  twoWriters,
} from '../../src/invariants.js';
import type { WireWrite } from '../../src/proxy/fault-proxy.js';

const LEASE = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/vk-soak';

function history(
  uid: string,
  phases: [number, string, string?][],
  extra: Partial<PodHistory> = {},
): PodHistory {
  return {
    uid,
    pod: `default/${uid}`,
    kind: 'long',
    firstSeen: 0,
    phases: phases.map(([t, phase, terminated]) => ({ t, phase, ...(terminated ? { terminated } : {}) })),
    restarts: 0,
    last: {},
    ...extra,
  };
}

const event = (t: number, op: BackendEvent['op'], uid: string): BackendEvent => ({
  t,
  op,
  uid,
  pod: `default/${uid}`,
  agent: 'a1',
});

describe('status regressions', () => {
  it('allows Pending, Running, then a terminal phase, and nothing backwards', () => {
    expect(
      regressions(
        history('ok', [
          [1, 'Pending'],
          [2, 'Running'],
          [3, 'Succeeded', 'main=0/Completed'],
        ]),
      ),
    ).toEqual([]);
    expect(
      regressions(
        history('back', [
          [1, 'Pending'],
          [2, 'Running'],
          [3, 'Pending'],
        ]),
      ),
    ).toHaveLength(1);
  });

  it('counts any change of a terminal status: phase, or exit codes', () => {
    expect(
      regressions(
        history('revived', [
          [1, 'Running'],
          [2, 'Failed', 'main=1/Error'],
          [3, 'Running'],
        ]),
      ),
    ).toHaveLength(1);
    expect(
      regressions(
        history('rewritten', [
          [1, 'Succeeded', 'main=0/Completed'],
          [2, 'Succeeded', 'main=137/Killed'],
        ]),
      ),
    ).toHaveLength(1);
    expect(
      regressions(
        history('flipped', [
          [1, 'Succeeded', 'main=0/Completed'],
          [2, 'Failed', 'main=0/Completed'],
        ]),
      ),
    ).toHaveLength(1);
  });
});

describe('backend invariants', () => {
  const base = { inventory: [], apiPods: [], unconverged: [] };

  it('a UID created twice while its pod lived is a double creation; a create applied after deletion is not', () => {
    const histories = [
      history('twice', [[1, 'Running']]),
      history('late', [[1, 'Running']], { deletionRequestedAt: 50 }),
    ];
    const events = [event(10, 'created', 'twice'), event(20, 'lost', 'twice'), event(30, 'created', 'twice')];
    events.push(event(10, 'created', 'late'), event(60, 'deleted', 'late'), event(70, 'created', 'late'));
    const counts = countViolations(checkInvariants({ ...base, histories, backendEvents: events }));
    expect(counts.doubleCreated).toBe(1);
  });

  it('a pod lost before the API server showed it started may be created again, once per loss (soak)', () => {
    const histories = [history('early', [[40, 'Running']])];
    const events = [event(10, 'created', 'early'), event(20, 'lost', 'early'), event(30, 'created', 'early')];
    expect(
      countViolations(checkInvariants({ ...base, histories, backendEvents: events })).doubleCreated,
    ).toBe(0);
    events.push(event(50, 'created', 'early'));
    expect(
      countViolations(checkInvariants({ ...base, histories, backendEvents: events })).doubleCreated,
    ).toBe(1);
  });

  it('a provider delete before the deletion was asked for is a violation; a loss is not', () => {
    const histories = [
      history('early', [[1, 'Running']], { deletionRequestedAt: 100 }),
      history('asked', [[1, 'Running']], { deletionRequestedAt: 100 }),
      history('never', [[1, 'Running']]),
      history('lost', [[1, 'Running']]),
    ];
    const events = [
      event(50, 'deleted', 'early'),
      event(150, 'deleted', 'asked'),
      event(5, 'deleted', 'never'),
    ];
    events.push(event(5, 'lost', 'lost'));
    const violations = checkInvariants({ ...base, histories, backendEvents: events });
    expect(violations.unrequestedDeletes.map(line => line.split(' ')[0])).toEqual([
      'default/early',
      'default/never',
    ]);
  });

  it('a backend pod whose API pod (same UID) is gone is an orphan', () => {
    const counts = countViolations(
      checkInvariants({
        ...base,
        histories: [],
        backendEvents: [],
        inventory: [
          { pod: 'default/a', uid: 'a', phase: 'Running' },
          { pod: 'default/b', uid: 'b-old', phase: 'Running' },
        ],
        apiPods: [
          { pod: 'default/a', uid: 'a', phase: 'Running', deleting: false },
          { pod: 'default/b', uid: 'b-new', phase: 'Running', deleting: false },
        ],
      }),
    );
    expect(counts.orphans).toBe(1);
  });
});

describe('two writers', () => {
  const write = (agent: string, sent: number, path: string, extra: Partial<WireWrite> = {}): WireWrite => ({
    agent,
    method: path === LEASE ? 'PUT' : 'PATCH',
    path,
    sent,
    code: 200,
    ...extra,
  });
  const status = '/api/v1/nodes/vk-soak/status';

  it('only the agent that last took the lease writes', () => {
    const writes = [
      write('a1', 1, LEASE, { holder: 'one' }),
      write('a1', 2, status),
      write('a2', 3, status, { code: 0, dropped: true }), // a standby's write the proxy dropped: never sent
      write('a2', 4, LEASE, { holder: 'two' }),
      write('a2', 5, status),
      write('a1', 6, LEASE, { holder: 'one', code: 409 }), // the old holder's renewal, refused
      write('a1', 7, '/api/v1/namespaces/default/pods/x/status'), // the old holder writing on: a violation
      write('a1', 8, '/apis/authorization.k8s.io/v1/subjectaccessreviews'),
    ];
    expect(twoWriters(writes, LEASE)).toEqual([
      expect.stringMatching(/^a1 wrote PATCH .*pods\/x\/status .* while a2 held/),
    ]);
  });

  it('a write before anyone held the lease is a violation too', () => {
    expect(
      twoWriters([write('a1', 1, status), write('a1', 2, LEASE, { holder: 'one' })], LEASE),
    ).toHaveLength(1);
  });
});

describe('spurious failures', () => {
  it('counts restarts and Failed phases before deletion was asked, not those of lost or deleted pods', () => {
    const found = spuriousFailures(
      [
        history('fine', [
          [1, 'Pending'],
          [2, 'Running'],
        ]),
        history('restarted', [[2, 'Running']], { restarts: 2 }),
        history('failed', [
          [2, 'Running'],
          [3, 'Failed', 'main=128/StartError'],
        ]),
        history(
          'killed-on-delete',
          [
            [2, 'Running'],
            [6, 'Failed', 'main=137/Error'],
          ],
          { deletionRequestedAt: 5 },
        ),
        history('lost', [
          [2, 'Running'],
          [4, 'Failed'],
        ]),
      ],
      new Set(['lost']),
    );
    expect(found).toHaveLength(2);
    expect(found[0]).toContain('default/restarted (restarted): containers restarted 2 times');
    expect(found[1]).toContain('default/failed (failed): Failed main=128/StartError');
  });
});
