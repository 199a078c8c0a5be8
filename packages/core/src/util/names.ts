// Kubernetes name rules (apimachinery validation), for values checked before they reach the API.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** A DNS subdomain (RFC 1123): what Node names are. At most 253 characters of dot-separated labels. */
export function isDnsSubdomain(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 253 &&
    name.split('.').every(label => label.length <= 63 && DNS_LABEL.test(label))
  );
}

/** A DNS label (RFC 1123): what namespace names are. At most 63 characters. */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

/** A label or annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf('/');
  if (slash === -1) return NAME_PART.test(key);
  return isDnsSubdomain(key.slice(0, slash)) && NAME_PART.test(key.slice(slash + 1));
}

/** A label value: empty, or at most 63 characters of the qualified-name alphabet. */
export function isLabelValue(value: string): boolean {
  return value === '' || NAME_PART.test(value);
}
