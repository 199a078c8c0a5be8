/** A request as the mapping builds it: nested objects and lists, left out where undefined. */
export type ParamValue = string | number | boolean | undefined | ParamTree | readonly ParamValue[];
export interface ParamTree {
  readonly [key: string]: ParamValue;
}

/**
 * Alibaba's RPC parameters are flat: lists are numbered from 1 and members joined by dots
 * (`Container.1.VolumeMount.2.MountPath`, `Container.1.ReadinessProbe.HttpGet.Path`). pop-core
 * flattens lists of objects but sends a nested object as `[object Object]` and `undefined` as the
 * string "undefined", so every request is flattened here, completely, before it reaches pop-core.
 */
export function flattenParams(tree: ParamTree): Record<string, string> {
  const flat: Record<string, string> = {};
  const visit = (prefix: string, value: ParamValue): void => {
    if (value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((item: ParamValue, index) => visit(`${prefix}.${index + 1}`, item));
    } else if (typeof value === 'object') {
      for (const [key, member] of Object.entries(value as ParamTree))
        visit(prefix ? `${prefix}.${key}` : key, member);
    } else {
      flat[prefix] = String(value);
    }
  };
  visit('', tree);
  return flat;
}
