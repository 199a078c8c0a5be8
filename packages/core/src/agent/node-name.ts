const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * True for a valid Node name: a DNS subdomain (RFC 1123) of at most 253 characters, dot-separated
 * labels of lowercase letters, digits and inner hyphens, as the API server validates it.
 */
export function isNodeName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every(label => DNS_LABEL.test(label));
}
