import type { V1EnvVar, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';

/** `namespace/name`, the key of a pod in the informer and the queues. */
export function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export function splitPodKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) throw new TypeError(`invalid pod key "${key}"`);
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** JSON form with dates at second precision (what the API server keeps), so equal values compare equal. */
export function canonical(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null), (_key, v: unknown) =>
    typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v)
      ? v.replace(/\.\d+Z$/, 'Z')
      : v,
  );
}

function sortedEnv(env: V1EnvVar[] | undefined): unknown {
  return [...(env ?? [])]
    .map(entry => canonical(entry))
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/** The parts of a pod a provider acts on (upstream podsEqual), env compared order-insensitively. */
function providerView(pod: V1Pod): unknown {
  const spec = pod.spec;
  // An empty list and an absent one mean the same (a resolved pod has `envFrom: []`).
  const containers = <T extends { env?: V1EnvVar[] }>(list: T[] | undefined) =>
    (list ?? []).map(container => {
      const view = Object.entries(canonical(container) as Record<string, unknown>).filter(
        ([, value]) => !(Array.isArray(value) && value.length === 0),
      );
      return { ...Object.fromEntries(view), env: sortedEnv(container.env) };
    });
  return {
    containers: containers(spec?.containers),
    initContainers: containers(spec?.initContainers),
    ephemeralContainers: containers(spec?.ephemeralContainers),
    activeDeadlineSeconds: spec?.activeDeadlineSeconds ?? null,
    tolerations: canonical(spec?.tolerations ?? []),
    labels: pod.metadata?.labels ?? {},
    annotations: pod.metadata?.annotations ?? {},
    deletionGracePeriodSeconds: pod.metadata?.deletionGracePeriodSeconds ?? null,
    deletionTimestamp: canonical(pod.metadata?.deletionTimestamp ?? null),
  };
}

/**
 * True when a provider would see no difference between the two pods: the fields upstream's
 * podsEqual compares (containers, init and ephemeral containers, activeDeadlineSeconds,
 * tolerations, labels, annotations, deletion fields), with env order ignored.
 */
export function podsEqualForProvider(a: V1Pod, b: V1Pod): boolean {
  return isDeepStrictEqual(providerView(a), providerView(b));
}

export function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * Upstream's "running" test for deletes: some container is neither waiting nor terminated. A pod
 * with no container statuses at all is not running (nothing to stop gracefully).
 */
export function isPodRunning(status: V1PodStatus | undefined): boolean {
  return (status?.containerStatuses ?? []).some(
    container => container.state?.terminated === undefined && container.state?.waiting === undefined,
  );
}
