/**
 * Error classes whose `instanceof` survives duplicated package copies.
 *
 * A provider may bundle its own copy of `@vkubelet/provider-kit`; a plain `instanceof` against core's
 * copy would then be false. Each class stamps a global-registry symbol on its instances and answers
 * `instanceof` by that symbol, so any copy recognises any other copy's errors.
 */
export function markerFor(kind: string): symbol {
  return Symbol.for(`@vkubelet/errdefs:${kind}`);
}

/** True when `err` or any error in its `cause` chain carries `marker`. */
export function hasMarker(err: unknown, marker: symbol): boolean {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    if ((current as Record<symbol, unknown>)[marker] === true) return true;
    seen.add(current);
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
