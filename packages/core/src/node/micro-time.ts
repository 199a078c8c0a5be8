/**
 * A Kubernetes MicroTime (RFC 3339 with microseconds), as Lease.renewTime requires. JavaScript dates
 * carry milliseconds, so the last three digits are zero.
 */
export function microTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
