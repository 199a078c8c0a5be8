const UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go-style duration ("30s", "1m30s", "500ms", "4h", "0") into milliseconds, as upstream's
 * flags take them. Throws a RangeError naming the bad value.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < trimmed.length) {
    part.lastIndex = index;
    const match = part.exec(trimmed);
    if (!match) throw new RangeError(`invalid duration "${text}" (use e.g. 30s, 1m, 1h30m, 500ms)`);
    total += Number(match[1]) * UNITS_MS[match[2]!]!;
    index = part.lastIndex;
  }
  if (trimmed.length === 0) throw new RangeError('invalid duration "" (use e.g. 30s, 1m, 1h30m, 500ms)');
  return total;
}
