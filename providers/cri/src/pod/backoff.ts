/** Crash back-off as kubelet does it: initial, doubling, capped; reset after a long enough run. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** The next back-off step after a failure, given the current one (0 before the first failure). */
export function nextBackoff(currentMs: number, policy: BackoffPolicy): number {
  return currentMs === 0 ? policy.initialMs : Math.min(currentMs * 2, policy.maxMs);
}

/** kubelet forgets the back-off of a container that ran for twice the maximum back-off. */
export function shouldResetBackoff(ranForMs: number, policy: BackoffPolicy): boolean {
  return ranForMs >= 2 * policy.maxMs;
}
