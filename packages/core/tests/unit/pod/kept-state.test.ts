import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

import { reportedStatus, sameReport } from '../../../src/pod/kept-state.js';

const report = (phase: string, extra: Partial<V1Pod['metadata']> = {}): V1Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u', ...extra },
  status: {
    phase,
    startTime: new Date('2026-01-01T10:00:00.123Z'),
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date('2026-01-01T10:00:01Z') }],
  },
});

describe('sameReport', () => {
  it('takes a report equal as the API server stores it for the same one', () => {
    const kept = reportedStatus(report('Running'));
    const again: V1Pod = {
      ...report('Running'),
      status: {
        phase: 'Running',
        startTime: '2026-01-01T10:00:00Z' as unknown as Date,
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            lastTransitionTime: '2026-01-01T10:00:01Z' as unknown as Date,
            lastProbeTime: null as unknown as undefined,
          },
        ],
      },
    };
    expect(sameReport(kept, again)).toBe(true);
  });

  it('takes a kept API status with fields the provider never reports (qosClass) for the same', () => {
    const kept = report('Running');
    kept.status = { ...kept.status, qosClass: 'BestEffort' };
    expect(sameReport(kept, report('Running'))).toBe(true);
  });

  it('sees a changed status and a provider-side deletion', () => {
    const kept = reportedStatus(report('Running'));
    expect(sameReport(kept, report('Succeeded'))).toBe(false);
    expect(
      sameReport(kept, report('Running', { deletionTimestamp: new Date(), deletionGracePeriodSeconds: 0 })),
    ).toBe(false);
  });
});
