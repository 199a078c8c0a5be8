/** Exponential delay for the `attempt`-th consecutive failure (from 1), capped, minus up to 50 % jitter. */
export function jitteredBackoff(attempt: number, minMs: number, maxMs: number): number {
  const capped = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return capped * (0.5 + Math.random() * 0.5);
}

/** Wait `ms`, or less if `signal` aborts (then resolve without throwing: the caller checks the signal). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
