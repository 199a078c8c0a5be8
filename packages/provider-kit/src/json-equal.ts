/**
 * Equality of two JSON-shaped values as `JSON.stringify` sees them: keys with undefined values are
 * absent, undefined in an array is null. Walks both values once instead of serializing them, which
 * matters on paths run for every watch event of every pod.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return equal(a, b, exact, isUndefined);
}

/**
 * `jsonEqual` with times compared at the second precision the API server keeps: a Date, or an
 * RFC 3339 string with fractional seconds, equals the same instant written without them.
 */
export function jsonEqualAtSeconds(a: unknown, b: unknown): boolean {
  return equal(a, b, atSeconds, isUndefined);
}

/**
 * `jsonEqualAtSeconds` that also takes a null or empty-object field for an absent one: what the API
 * server writes for a field nobody set (a condition's `lastProbeTime: null`, a container's
 * `lastState: {}`), so a status read back equals the status that was written.
 */
export function jsonEqualAsStored(a: unknown, b: unknown): boolean {
  return equal(a, b, atSeconds, isUnset);
}

/**
 * A copy of a JSON-shaped value as the API server would store it: what `JSON.stringify` keeps
 * (no undefined keys or functions, Dates as strings, undefined in arrays as null), with times at
 * second precision. For patch bodies, so a value written equals the value read back.
 */
export function jsonAtSeconds(value: unknown): unknown {
  const leaf = atSeconds(value);
  if (typeof leaf !== 'object' || leaf === null)
    return typeof leaf === 'number' && !Number.isFinite(leaf) ? null : leaf;
  if (Array.isArray(leaf)) {
    return leaf.map(item => (item === undefined || typeof item === 'function' ? null : jsonAtSeconds(item)));
  }
  const copy: Record<string, unknown> = {};
  for (const key in leaf) {
    const item = (leaf as Record<string, unknown>)[key];
    if (item !== undefined && typeof item !== 'function') copy[key] = jsonAtSeconds(item);
  }
  return copy;
}

type Leaf = (value: unknown) => unknown;
type Absent = (value: unknown) => boolean;

function isUndefined(value: unknown): boolean {
  return value === undefined;
}

function isUnset(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Date) return false;
  for (const key in value) if (!isUnset((value as Record<string, unknown>)[key])) return false;
  return true;
}

function equal(a: unknown, b: unknown, leaf: Leaf, absent: Absent): boolean {
  if (a === b) return true;
  const left = leaf(a);
  const right = leaf(b);
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) {
    return left === right;
  }
  if (Array.isArray(left) || Array.isArray(right)) {
    if (!Array.isArray(left) || !Array.isArray(right) || left.length !== right.length) return false;
    for (let i = 0; i < left.length; i++) {
      if (!equal(left[i], right[i], leaf, absent)) return false;
    }
    return true;
  }
  const l = left as Record<string, unknown>;
  const r = right as Record<string, unknown>;
  let leftKeys = 0;
  for (const key in l) {
    const value = l[key];
    if (absent(value)) continue;
    leftKeys++;
    const other = r[key];
    if (absent(other) || !equal(value, other, leaf, absent)) return false;
  }
  let rightKeys = 0;
  for (const key in r) if (!absent(r[key])) rightKeys++;
  return leftKeys === rightKeys;
}

function exact(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}

const FRACTIONAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/;

function atSeconds(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return secondPrecision(value.toISOString());
  // Cheap filter first: only short strings ending in Z can be times.
  if (typeof value === 'string' && value.length <= 35 && value.endsWith('Z') && FRACTIONAL_TIME.test(value)) {
    return secondPrecision(value);
  }
  return value;
}

function secondPrecision(time: string): string {
  return `${time.slice(0, time.lastIndexOf('.'))}Z`;
}
