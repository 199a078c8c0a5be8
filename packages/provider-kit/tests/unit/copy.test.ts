import { describe, expect, it } from 'vitest';

import { copyApiObject } from '../../src/index.js';

describe('copyApiObject', () => {
  it('copies objects and arrays, shares strings and Dates, and drops undefined fields', () => {
    const at = new Date('2026-11-22T05:40:00Z');
    const pod = {
      metadata: { name: 'p', labels: { app: 'web' }, gone: undefined },
      status: { conditions: [{ type: 'Ready', lastTransitionTime: at }], podIPs: [{ ip: '10.0.0.1' }] },
    };
    const copy = copyApiObject(pod);
    expect(copy).toEqual({
      metadata: { name: 'p', labels: { app: 'web' } },
      status: { conditions: [{ type: 'Ready', lastTransitionTime: at }], podIPs: [{ ip: '10.0.0.1' }] },
    });
    expect('gone' in copy.metadata).toBe(false);
    expect(copy.metadata).not.toBe(pod.metadata);
    expect(copy.status.conditions).not.toBe(pod.status.conditions);
    expect(copy.status.conditions[0]).not.toBe(pod.status.conditions[0]);
    expect(copy.status.conditions[0]!.lastTransitionTime).toBe(at);
    copy.metadata.labels.app = 'db';
    expect(pod.metadata.labels.app).toBe('web');
  });
});
