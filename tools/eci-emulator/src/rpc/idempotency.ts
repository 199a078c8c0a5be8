import { apiErrors } from './errors.js';

/** Parameters that differ between two sends of the same request (signing), left out of comparisons. */
const PER_SEND = new Set([
  'Signature',
  'SignatureNonce',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureType',
  'Timestamp',
  'AccessKeyId',
  'SecurityToken',
  'Format',
]);

/** What identifies a request's content: its parameters minus the per-send ones, in a stable order. */
export function requestFingerprint(params: ReadonlyMap<string, string>): string {
  return JSON.stringify(
    [...params].filter(([name]) => !PER_SEND.has(name)).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

/**
 * ClientToken semantics: a request repeated with the same token (and the same parameters) gets the
 * first answer again and changes nothing; the same token with other parameters is refused with
 * IdempotentParameterMismatch.
 */
export class ClientTokens {
  private readonly answers = new Map<string, { fingerprint: string; answer: Record<string, unknown> }>();

  async once(
    action: string,
    token: string | undefined,
    params: ReadonlyMap<string, string>,
    run: () => Promise<Record<string, unknown>> | Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    if (!token) return run();
    if (token.length > 64 || !/^[\x20-\x7e]+$/.test(token)) {
      throw apiErrors.invalidParameter('ClientToken', 'At most 64 ASCII characters.');
    }
    const key = `${action}/${token}`;
    const fingerprint = requestFingerprint(params);
    const earlier = this.answers.get(key);
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) throw apiErrors.idempotentMismatch();
      return earlier.answer;
    }
    const answer = await run();
    this.answers.set(key, { fingerprint, answer });
    return answer;
  }
}
