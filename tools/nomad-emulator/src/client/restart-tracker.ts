import { NANOS_PER_MS, type RestartPolicy } from '../api/types.js';

/** What a Nomad client does with a task whose process exited. */
export type RestartDecision =
  /** Start it again after `delayMs` (a `Restarting` event). */
  | { kind: 'restart'; delayMs: number; reason: string }
  /** Leave it dead and successful (a batch task that exited 0): no event. */
  | { kind: 'terminated'; reason: string }
  /** Leave it dead and failed (a `Not Restarting` event that fails the task). */
  | { kind: 'not-restarting'; reason: string };

export const REASON_WITHIN_POLICY = 'Restart within policy';
export const REASON_NO_RESTARTS = 'Policy allows no restarts';
export const REASON_DELAY = 'Exceeded allowed attempts, applying a delay';
export const REASON_SUCCESS = 'Restart unnecessary as task terminated successfully';

/** Nomad adds up to a quarter of the restart delay, at random, so crashing tasks do not restart in step. */
const JITTER = 0.25;

/** A Go duration string (`30m0s`, `15s`, `1h0m0s`), as Nomad writes the interval in its reason. */
export function goDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  const totalSeconds = nanos / 1e9;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = Number((totalSeconds % 60).toFixed(9));
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  if (totalSeconds >= 1) return `${seconds}s`;
  return nanos >= 1e6 ? `${nanos / 1e6}ms` : `${nanos}ns`;
}

/**
 * Nomad's restart rules for one task: at most `Attempts` restarts per `Interval` (counted from the
 * first start, a new interval resetting the count), each after `Delay` plus jitter; past the limit
 * the task fails (`fail` mode) or waits for the next interval (`delay` mode). Service tasks restart
 * after a successful exit too; batch tasks and prestart (non-sidecar) tasks do not.
 */
export class RestartTracker {
  private count = 0;
  private intervalStart: number;

  constructor(
    private readonly policy: RestartPolicy,
    private readonly restartOnSuccess: boolean,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.intervalStart = now();
  }

  onExit(exitCode: number): RestartDecision {
    const attempts = this.policy.Attempts ?? 0;
    const succeeded = exitCode === 0;
    if (attempts === 0) {
      if (succeeded && !this.restartOnSuccess) return { kind: 'terminated', reason: REASON_NO_RESTARTS };
      return { kind: 'not-restarting', reason: REASON_NO_RESTARTS };
    }
    const intervalMs = (this.policy.Interval ?? 0) / NANOS_PER_MS;
    const now = this.now();
    if (now > this.intervalStart + intervalMs) {
      this.count = 0;
      this.intervalStart = now;
    }
    this.count++;
    if (succeeded && !this.restartOnSuccess) return { kind: 'terminated', reason: REASON_SUCCESS };
    if (this.count > attempts) {
      if (this.policy.Mode !== 'delay') {
        return {
          kind: 'not-restarting',
          reason: `Exceeded allowed attempts ${attempts} in interval ${goDuration(this.policy.Interval ?? 0)} and mode is "fail"`,
        };
      }
      return {
        kind: 'restart',
        delayMs: Math.max(0, this.intervalStart + intervalMs - now),
        reason: REASON_DELAY,
      };
    }
    const delayMs = Math.max((this.policy.Delay ?? 0) / NANOS_PER_MS, 0);
    return {
      kind: 'restart',
      delayMs: delayMs + Math.floor(this.random() * delayMs) * JITTER,
      reason: REASON_WITHIN_POLICY,
    };
  }
}
