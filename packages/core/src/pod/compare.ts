import type { V1EnvVar, V1Pod, V1PodStatus } from '@kubernetes/client-node';

import { jsonEqualAtSeconds } from '@vkubelet/provider-kit';

/** `namespace/name`, the key of a pod in the informer and the queues. */
export function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export function splitPodKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) throw new TypeError(`invalid pod key "${key}"`);
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Env lists equal regardless of order (a resolved pod's env is sorted, the API's is as written). */
function envEqual(a: V1EnvVar[] | undefined, b: V1EnvVar[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  if (left.length !== right.length) return false;
  if (left.every((entry, i) => jsonEqualAtSeconds(entry, right[i]))) return true;
  // By name, then by content: duplicate names are legal (the last one wins in the container).
  const order = (x: V1EnvVar, y: V1EnvVar) =>
    x.name !== y.name ? (x.name < y.name ? -1 : 1) : JSON.stringify(x) < JSON.stringify(y) ? -1 : 1;
  const byName = (list: V1EnvVar[]) => [...list].sort(order);
  const sortedRight = byName(right);
  return byName(left).every((entry, i) => jsonEqualAtSeconds(entry, sortedRight[i]));
}

/** An empty list and an absent one mean the same (a resolved pod has `envFrom: []`). */
function present(value: unknown): boolean {
  return value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);
}

function containerEqual(a: object, b: object): boolean {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
    if (key === 'env') {
      if (!envEqual(left.env as V1EnvVar[] | undefined, right.env as V1EnvVar[] | undefined)) return false;
    } else if (present(left[key]) || present(right[key])) {
      if (!jsonEqualAtSeconds(left[key], right[key])) return false;
    }
  }
  return true;
}

function containersEqual(a: readonly object[] | undefined, b: readonly object[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  return left.length === right.length && left.every((container, i) => containerEqual(container, right[i]!));
}

/**
 * True when a provider would see no difference between the two pods: the fields upstream's
 * podsEqual compares (containers, init and ephemeral containers, activeDeadlineSeconds,
 * tolerations, labels, annotations, deletion fields), with env order ignored. Called on every watch
 * event of every pod, so it compares in place and skips a spec the informer kept shared.
 */
export function podsEqualForProvider(a: V1Pod, b: V1Pod): boolean {
  const left = a.metadata;
  const right = b.metadata;
  if (
    !jsonEqualAtSeconds(left?.labels ?? {}, right?.labels ?? {}) ||
    !jsonEqualAtSeconds(left?.annotations ?? {}, right?.annotations ?? {}) ||
    !jsonEqualAtSeconds(left?.deletionGracePeriodSeconds, right?.deletionGracePeriodSeconds) ||
    !jsonEqualAtSeconds(left?.deletionTimestamp, right?.deletionTimestamp)
  ) {
    return false;
  }
  const x = a.spec;
  const y = b.spec;
  if (x === y) return true;
  return (
    jsonEqualAtSeconds(x?.activeDeadlineSeconds, y?.activeDeadlineSeconds) &&
    jsonEqualAtSeconds(x?.tolerations ?? [], y?.tolerations ?? []) &&
    containersEqual(x?.containers, y?.containers) &&
    containersEqual(x?.initContainers, y?.initContainers) &&
    containersEqual(x?.ephemeralContainers, y?.ephemeralContainers)
  );
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
