import { badRequest } from './errors.js';

/**
 * Query-string parsing with Go's rules (`strconv.ParseBool`, `strconv.Atoi`), so a value the kubelet
 * rejects is rejected here too, with a 400 that names the parameter.
 */
const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_VALUES = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The last value of `name`, or undefined when absent or empty (an empty value means "default"). */
export function lastValue(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  const value = values[values.length - 1];
  return value === undefined || value === '' ? undefined : value;
}

export function parseBoolParam(query: URLSearchParams, name: string, fallback = false): boolean {
  const raw = lastValue(query, name);
  if (raw === undefined) return fallback;
  if (TRUE_VALUES.has(raw)) return true;
  if (FALSE_VALUES.has(raw)) return false;
  throw badRequest(`invalid value for ${name}: ${JSON.stringify(raw)} is not a boolean`);
}

const INTEGER = /^[+-]?\d+$/;

export function parseIntParam(query: URLSearchParams, name: string, minimum: number): number | undefined {
  const raw = lastValue(query, name);
  if (raw === undefined) return undefined;
  const value = INTEGER.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw badRequest(`invalid value for ${name}: ${JSON.stringify(raw)} is not an integer`);
  }
  if (value < minimum) throw badRequest(`${name} must be greater than or equal to ${minimum}, got ${value}`);
  return value;
}

/** RFC 3339 as Go's `time.RFC3339` layout parses it (fractional seconds allowed, zone required). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseTimeParam(query: URLSearchParams, name: string): Date | undefined {
  const raw = lastValue(query, name);
  if (raw === undefined) return undefined;
  const time = RFC3339.test(raw) ? new Date(raw) : undefined;
  if (time === undefined || Number.isNaN(time.getTime())) {
    throw badRequest(`invalid value for ${name}: ${JSON.stringify(raw)} is not an RFC 3339 time`);
  }
  return time;
}

/** Exec/attach stream flags: the apiserver sends "1", other clients "true". */
export function isStreamFlagSet(query: URLSearchParams, name: string): boolean {
  const raw = lastValue(query, name);
  return raw === '1' || raw === 'true';
}
