/** Summary of one latency series, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of `values` (milliseconds); an empty series gives NaN everywhere. */
export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  if (sorted.length === 0) return { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN };
  return {
    count: sorted.length,
    p50: rank(50)!,
    p90: rank(90)!,
    p99: rank(99)!,
    max: sorted[sorted.length - 1]!,
  };
}
