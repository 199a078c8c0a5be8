import type { V1Container, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';

import { withOwnContainers } from './env/own-containers.js';

type Resolved = Pick<V1Container, 'name' | 'env' | 'envFrom' | 'command' | 'args'>;

/**
 * Container env, command and args are immutable once a pod exists, so a pod already in the provider
 * keeps the environment it was resolved with: its app and init containers take their resolved env
 * from `applied`, and only ephemeral containers added since then still need resolving. This stops a
 * ConfigMap deleted later from blocking updates or raising false events (upstream #649).
 * Returns the copy and the names of ephemeral containers left unresolved.
 */
export function carryOverEnvironment(
  pod: V1Pod,
  applied: V1Pod,
): { pod: V1Pod; unresolved: V1EphemeralContainer[] } {
  const copy = withOwnContainers(pod);
  const previous = new Map<string, Resolved>();
  for (const container of [
    ...(applied.spec?.containers ?? []),
    ...(applied.spec?.initContainers ?? []),
    ...(applied.spec?.ephemeralContainers ?? []),
  ]) {
    previous.set(container.name, container);
  }
  const carry = (container: Resolved): boolean => {
    const before = previous.get(container.name);
    if (!before) return false;
    container.env = before.env;
    container.envFrom = [];
    container.command = before.command;
    container.args = before.args;
    return true;
  };
  const spec = copy.spec;
  const unresolved: V1EphemeralContainer[] = [];
  if (!spec) return { pod: copy, unresolved };
  for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) carry(container);
  for (const container of spec.ephemeralContainers ?? []) if (!carry(container)) unresolved.push(container);
  return { pod: copy, unresolved };
}
