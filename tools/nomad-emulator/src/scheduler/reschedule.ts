import { NANOS_PER_MS, type Allocation, type ReschedulePolicy } from '../api/types.js';

/** Whether and when a failed allocation is replaced, by its group's reschedule policy. */
export type RescheduleDecision = { eligible: false } | { eligible: true; atMs: number; delayNanos: number };

/** The delay before the next replacement: constant, or growing with each earlier one, up to MaxDelay. */
function nextDelay(policy: ReschedulePolicy, previous: Allocation['RescheduleTracker']): number {
  const base = policy.Delay ?? 0;
  const events = previous?.Events ?? [];
  const last = events.at(-1)?.Delay ?? 0;
  const max = policy.MaxDelay ?? 0;
  let delay = base;
  if (policy.DelayFunction === 'exponential' && last > 0) delay = last * 2;
  if (policy.DelayFunction === 'fibonacci' && events.length >= 2) delay = last + (events.at(-2)?.Delay ?? 0);
  else if (policy.DelayFunction === 'fibonacci' && last > 0) delay = last;
  return max > 0 ? Math.min(delay, max) : delay;
}

/**
 * Nomad's reschedule rule: a failed allocation is replaced unless the policy's attempts within its
 * interval are used up (`Unlimited` never runs out), after a delay counted from when it failed.
 */
export function rescheduleDecision(
  alloc: Allocation,
  policy: ReschedulePolicy | null | undefined,
  failedAtMs: number,
  nowMs: number,
): RescheduleDecision {
  if (!policy) return { eligible: false };
  const events = alloc.RescheduleTracker?.Events ?? [];
  if (!policy.Unlimited) {
    const attempts = policy.Attempts ?? 0;
    const intervalNanos = policy.Interval ?? 0;
    const recent = events.filter(event => nowMs * NANOS_PER_MS - event.RescheduleTime < intervalNanos).length;
    if (attempts <= 0 || recent >= attempts) return { eligible: false };
  }
  const delayNanos = nextDelay(policy, alloc.RescheduleTracker);
  return { eligible: true, atMs: failedAtMs + delayNanos / NANOS_PER_MS, delayNanos };
}
