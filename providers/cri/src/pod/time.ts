import type { Int64 } from '../cri/types.js';

/** A CRI nanosecond timestamp as a Date; undefined for 0 (unset). */
export function nsToDate(ns: Int64 | undefined | null): Date | undefined {
  if (ns === undefined || ns === null) return undefined;
  const value = BigInt(ns);
  if (value <= 0n) return undefined;
  return new Date(Number(value / 1_000_000n));
}
