import { existsSync, readFileSync } from 'node:fs';

/** When the provider saw each pod's lifecycle steps (epoch ms), from the mock's call log. */
export interface ProviderTimes {
  createPod?: number;
  running?: number;
  deletePod?: number;
}

/**
 * Reads the mock provider's JSON-lines call log (`{"t":<epoch ms>,"op":"createPod"|"running"|
 * "deletePod","pod":"<ns>/<name>"}`), keeping the first time of each step per pod. An agent whose
 * provider writes no log gives an empty map, and the provider-side figures are left out.
 */
export function readProviderCalls(path: string): Map<string, ProviderTimes> {
  const times = new Map<string, ProviderTimes>();
  if (!existsSync(path)) return times;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const entry = JSON.parse(line) as { t: number; op: keyof ProviderTimes; pod: string };
    const pod = times.get(entry.pod) ?? {};
    pod[entry.op] ??= entry.t;
    times.set(entry.pod, pod);
  }
  return times;
}
