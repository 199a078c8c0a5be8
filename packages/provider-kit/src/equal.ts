/**
 * Whether two API values (pod statuses, specs: JSON-shaped, with Dates) would be the same object on
 * the wire. A field set to `undefined` counts as absent, as JSON drops it; a Date equals another Date
 * or an RFC 3339 string of the same instant. Compares in one walk without serialising either side,
 * which matters for a provider that checks every pod's status on every poll.
 */
export function apiEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date || b instanceof Date) return timeOf(a) === timeOf(b) && !Number.isNaN(timeOf(a));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!apiEqual(a[i], b[i])) return false;
    return true;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let fields = 0;
  for (const key in left) {
    const value = left[key];
    if (value === undefined) continue;
    fields++;
    if (!apiEqual(value, right[key])) return false;
  }
  for (const key in right) if (right[key] !== undefined) fields--;
  return fields === 0;
}

function timeOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') return Date.parse(value);
  return Number.NaN;
}
