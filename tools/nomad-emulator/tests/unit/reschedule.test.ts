import { describe, expect, it } from 'vitest';

import type { Allocation } from '../../src/api/types.js';
import { rescheduleDecision } from '../../src/scheduler/reschedule.js';

const SECOND = 1e9;

function alloc(delays: number[], at = 0): Allocation {
  return {
    RescheduleTracker: delays.length
      ? {
          Events: delays.map(Delay => ({
            RescheduleTime: at * 1e6,
            PrevAllocID: 'p',
            PrevNodeID: 'n',
            Delay,
          })),
        }
      : null,
  } as Allocation;
}

describe('rescheduleDecision', () => {
  const exponential = {
    Delay: 30 * SECOND,
    DelayFunction: 'exponential',
    MaxDelay: 3600 * SECOND,
    Unlimited: true,
  };

  it('doubles the delay after each replacement, up to MaxDelay', () => {
    expect(rescheduleDecision(alloc([]), exponential, 1000, 1000)).toEqual({
      eligible: true,
      atMs: 31_000,
      delayNanos: 30 * SECOND,
    });
    expect(rescheduleDecision(alloc([30 * SECOND]), exponential, 0, 0)).toMatchObject({
      delayNanos: 60 * SECOND,
    });
    expect(rescheduleDecision(alloc([3000 * SECOND]), exponential, 0, 0)).toMatchObject({
      delayNanos: 3600 * SECOND,
    });
  });

  it('stops replacing once the attempts within the interval are used', () => {
    const batch = {
      Attempts: 1,
      Interval: 24 * 3600 * SECOND,
      Delay: 5 * SECOND,
      DelayFunction: 'constant',
      Unlimited: false,
    };
    expect(rescheduleDecision(alloc([]), batch, 0, 0)).toMatchObject({
      eligible: true,
      delayNanos: 5 * SECOND,
    });
    expect(rescheduleDecision(alloc([5 * SECOND], 0), batch, 0, 1000)).toEqual({ eligible: false });
    expect(rescheduleDecision(alloc([]), null, 0, 0)).toEqual({ eligible: false });
  });
});
