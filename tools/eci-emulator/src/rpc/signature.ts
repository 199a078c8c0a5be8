import { createHmac, timingSafeEqual } from 'node:crypto';

import { percentEncode } from './percent.js';

/** The canonicalized query string: every parameter but Signature, sorted by name, percent-encoded. */
export function canonicalQuery(params: ReadonlyMap<string, string>): string {
  return [...params.entries()]
    .filter(([name]) => name !== 'Signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`)
    .join('&');
}

/** StringToSign = METHOD & percent("/") & percent(canonicalized query). */
export function stringToSign(method: string, params: ReadonlyMap<string, string>): string {
  return `${method}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
}

/** Signature v1: base64(HMAC-SHA1(secret + "&", StringToSign)). */
export function signatureV1(text: string, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(text, 'utf8').digest('base64');
}

/** Compares two signatures in constant time. */
export function signaturesMatch(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
