/**
 * `$(VAR)` expansion with the kubelet's rules (k8s third_party/forked/golang/expansion): `$$` is an
 * escaped `$`, an unresolvable `$(VAR)` is left verbatim, an unterminated `$(` and a `$` before any
 * other character are copied as they are.
 */
export type VariableLookup = (name: string) => string | undefined;

/** Looks a name up in each source in turn; the first that defines it wins. */
export function lookupIn(...sources: ReadonlyMap<string, string>[]): VariableLookup {
  return name => {
    for (const source of sources) {
      const value = source.get(name);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}

export function expandVariables(input: string, lookup: VariableLookup): string {
  if (!input.includes('$')) return input;
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close === -1) {
        out += '$(';
        i += 2;
      } else {
        const name = input.slice(i + 2, close);
        out += lookup(name) ?? `$(${name})`;
        i = close + 1;
      }
    } else {
      out += '$' + next;
      i += 2;
    }
  }
  return out;
}
