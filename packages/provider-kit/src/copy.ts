/**
 * A deep copy of a JSON-shaped value (API objects: plain objects, arrays, strings, numbers, booleans,
 * null, Dates) that shares the strings and Dates instead of copying them. Strings are immutable, and
 * they are most of a pod's memory: `structuredClone` re-creates every one, so each copy of a pod kept
 * by core and by a provider cost its full size again. Dates are taken as values too (a Date costs
 * about 100 bytes, and a pod status has half a dozen): do not mutate one in place, set a new Date.
 */
export function copyApiObject<T>(value: T): T {
  return copy(value) as T;
}

function copy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copy);
  if (value instanceof Date) return value;
  const result: Record<string, unknown> = {};
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) result[key] = copy(field);
  }
  return result;
}
