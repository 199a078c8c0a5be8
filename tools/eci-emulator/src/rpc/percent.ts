/**
 * Alibaba Cloud's percent-encoding for signature v1: RFC 3986, so only `A-Z a-z 0-9 - _ . ~` stay
 * as they are, a space is `%20` (never `+`) and `!'()*`, which encodeURIComponent keeps, are escaped.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    char => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
