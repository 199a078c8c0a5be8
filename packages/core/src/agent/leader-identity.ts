import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** A holderIdentity unique to this process, readable as where it runs (client-go: hostname_uuid). */
export function leaderIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}
