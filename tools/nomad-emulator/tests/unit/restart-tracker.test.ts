import { describe, expect, it } from 'vitest';

import {
  goDuration,
  REASON_DELAY,
  REASON_WITHIN_POLICY,
  RestartTracker,
} from '../../src/client/restart-tracker.js';

const SECOND = 1e9;

function tracker(
  policy: ConstructorParameters<typeof RestartTracker>[0],
  onSuccess: boolean,
  clock = { now: 0 },
) {
  return {
    clock,
    tracker: new RestartTracker(
      policy,
      onSuccess,
      () => clock.now,
      () => 0.5,
    ),
  };
}

describe('RestartTracker (Nomad restart policy)', () => {
  it('restarts within the attempts with delay plus jitter, then fails in fail mode', () => {
    const { tracker: t } = tracker(
      { Attempts: 2, Interval: 60 * SECOND, Delay: 4 * SECOND, Mode: 'fail' },
      true,
    );
    expect(t.onExit(1)).toEqual({
      kind: 'restart',
      delayMs: 4000 + 2000 * 0.25,
      reason: REASON_WITHIN_POLICY,
    });
    expect(t.onExit(1).kind).toBe('restart');
    expect(t.onExit(1)).toEqual({
      kind: 'not-restarting',
      reason: 'Exceeded allowed attempts 2 in interval 1m0s and mode is "fail"',
    });
  });

  it('in delay mode waits for the next interval, whose start resets the count', () => {
    const clock = { now: 0 };
    const { tracker: t } = tracker(
      { Attempts: 1, Interval: 10 * SECOND, Delay: 0, Mode: 'delay' },
      true,
      clock,
    );
    expect(t.onExit(1).kind).toBe('restart');
    clock.now = 3000;
    expect(t.onExit(1)).toEqual({ kind: 'restart', delayMs: 7000, reason: REASON_DELAY });
    clock.now = 10_001;
    expect(t.onExit(1)).toMatchObject({ kind: 'restart', reason: REASON_WITHIN_POLICY });
  });

  it('leaves a batch (or prestart) task that exited 0 dead and successful; a service task restarts', () => {
    const policy = { Attempts: 3, Interval: 60 * SECOND, Delay: SECOND, Mode: 'fail' };
    expect(tracker(policy, false).tracker.onExit(0).kind).toBe('terminated');
    expect(tracker(policy, true).tracker.onExit(0).kind).toBe('restart');
  });

  it('with no attempts allowed, fails a failed task and a service task that exited 0', () => {
    const policy = { Attempts: 0, Interval: 60 * SECOND, Delay: SECOND, Mode: 'fail' };
    expect(tracker(policy, true).tracker.onExit(0)).toEqual({
      kind: 'not-restarting',
      reason: 'Policy allows no restarts',
    });
    expect(tracker(policy, false).tracker.onExit(0).kind).toBe('terminated');
    expect(tracker(policy, false).tracker.onExit(2).kind).toBe('not-restarting');
  });

  it('writes durations as Go does', () => {
    expect(goDuration(30 * 60 * SECOND)).toBe('30m0s');
    expect(goDuration(24 * 3600 * SECOND)).toBe('24h0m0s');
    expect(goDuration(15 * SECOND)).toBe('15s');
    expect(goDuration(1.5 * SECOND)).toBe('1.5s');
    expect(goDuration(50_000_000)).toBe('50ms');
  });
});
