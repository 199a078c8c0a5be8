/** ECI's time format: RFC 3339 in UTC, whole seconds (`2018-08-02T15:00:00Z`). */
export function eciTime(time: Date | string | number): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
