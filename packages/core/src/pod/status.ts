import type { V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';
import { jsonAtSeconds, jsonEqualAsStored } from '@vkubelet/provider-kit';

/** Reason written into a pod's status when the provider rejects it (upstream's value). */
export const PROVIDER_FAILED_REASON = 'ProviderFailed';

/**
 * The status written when the provider fails to create a pod: Pending with the error while the queue
 * retries, Failed only when the provider says the pod cannot run as given. Upstream also fails a
 * `restartPolicy: Never` pod at the first error, so one throttled call killed it for good; the
 * kubelet retries a sandbox it could not create, whatever the policy, and so does this.
 */
export function providerFailedStatus(message: string, permanent: boolean): V1PodStatus {
  return { phase: permanent ? 'Failed' : 'Pending', reason: PROVIDER_FAILED_REASON, message };
}

/** Status fields core writes; anything else in the API status belongs to someone else. */
const OWNED_FIELDS = [
  'phase',
  'reason',
  'message',
  'conditions',
  'containerStatuses',
  'initContainerStatuses',
  'ephemeralContainerStatuses',
  'podIP',
  'podIPs',
  'hostIP',
  'hostIPs',
  'startTime',
  'qosClass',
  'nominatedNodeName',
] as const satisfies readonly (keyof V1PodStatus)[];

const CLEARABLE = new Set<string>(['reason', 'message']);
const REPLACED_LISTS = new Set<string>(['podIPs', 'hostIPs']);

function conditionsDiffer(current: V1PodCondition[] | undefined, desired: V1PodCondition[]): boolean {
  return desired.some(condition => {
    const existing = current?.find(candidate => candidate.type === condition.type);
    return !jsonEqualAsStored(existing, condition);
  });
}

/**
 * The conditions as patch elements. A strategic merge patch merges each condition into the stored one
 * of its type, so a reason or message the provider no longer gives (Ready turning True drops
 * `ContainersNotReady`) must be sent as null to be removed; otherwise it stays beside the new status
 * and the next comparison finds the condition changed again.
 */
function conditionsPatch(current: V1PodCondition[] | undefined, desired: V1PodCondition[]): unknown[] {
  return desired.map(condition => {
    const existing = current?.find(candidate => candidate.type === condition.type);
    const cleared: Record<string, null> = {};
    for (const key of CLEARABLE) {
      const had = existing?.[key as 'reason' | 'message'];
      if (
        had !== undefined &&
        had !== null &&
        had !== '' &&
        condition[key as 'reason' | 'message'] === undefined
      )
        cleared[key] = null;
    }
    return { ...condition, ...cleared };
  });
}

/**
 * The strategic-merge patch of `pods/status` that brings `current` to the provider's `desired`
 * status, or undefined when nothing the provider reports differs. Conditions merge by type (so
 * conditions others own, e.g. DisruptionTarget, survive); a reason/message the provider no longer
 * reports is removed (clears an earlier ProviderFailed).
 */
export function statusPatch(current: V1PodStatus | undefined, desired: V1PodStatus): V1PodStatus | undefined {
  const patch: Record<string, unknown> = {};
  for (const field of OWNED_FIELDS) {
    const want = desired[field];
    const have = current?.[field];
    if (want === undefined || want === null) {
      if (CLEARABLE.has(field) && have !== undefined && have !== null && have !== '') patch[field] = null;
      continue;
    }
    if (field === 'conditions') {
      const conditions = want as V1PodCondition[];
      if (conditionsDiffer(current?.conditions, conditions))
        patch[field] = conditionsPatch(current?.conditions, jsonAtSeconds(conditions) as V1PodCondition[]);
      continue;
    }
    if (jsonEqualAsStored(have, want)) continue;
    // podIPs/hostIPs merge by `ip` in a strategic merge patch; a changed address must replace the list.
    patch[field] = REPLACED_LISTS.has(field)
      ? [{ $patch: 'replace' }, ...(jsonAtSeconds(want) as unknown[])]
      : jsonAtSeconds(want);
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

const NOT_FOUND_MESSAGE = 'The pod status was not found and may have been deleted from the provider';

/**
 * What upstream's polling wrapper reports for a pod the provider has lost: Failed, reason NotFound,
 * running containers terminated with exit code -137.
 */
export function lostPodStatus(pod: V1Pod, now: Date): V1PodStatus {
  const containerStatuses = (pod.status?.containerStatuses ?? []).map(container => {
    const running = container.state?.running;
    if (!running) return container;
    return {
      ...container,
      ready: false,
      state: {
        terminated: {
          exitCode: -137,
          reason: 'NotFound',
          message: 'Container was not found and was likely deleted',
          startedAt: running.startedAt,
          finishedAt: now,
          containerID: container.containerID,
        },
      },
    };
  });
  return {
    ...pod.status,
    phase: 'Failed',
    reason: 'NotFound',
    message: NOT_FOUND_MESSAGE,
    containerStatuses,
  };
}

/**
 * What upstream's polling wrapper reports after it deleted a pod in the provider: Succeeded, every
 * container terminated (the provider cannot be asked for real exit codes any more).
 */
export function deletedPodStatus(pod: V1Pod, now: Date): V1PodStatus {
  if (isTerminal(pod.status?.phase)) return pod.status ?? {};
  const containerStatuses = (pod.status?.containerStatuses ?? []).map(container => ({
    ...container,
    ready: false,
    state: {
      terminated: {
        exitCode: 0,
        reason: 'Terminated',
        message: 'Container was terminated. The exit code may not reflect the real exit code',
        startedAt: container.state?.running?.startedAt,
        finishedAt: now,
        containerID: container.containerID,
      },
    },
  }));
  return { ...pod.status, phase: 'Succeeded', reason: 'Terminated', containerStatuses };
}

function isTerminal(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The kubelet's waiting reason for a container whose env (ConfigMap, Secret, field) cannot be built. */
export const CONFIG_ERROR_REASON = 'CreateContainerConfigError';

/**
 * What the kubelet shows while a pod's env cannot be resolved: still Pending, every container
 * waiting with reason CreateContainerConfigError and the error as message, so `kubectl get pods`
 * says why instead of a bare Pending.
 */
export function configErrorStatus(pod: V1Pod, message: string): V1PodStatus {
  const waiting = (container: { name: string; image?: string }) => ({
    name: container.name,
    image: container.image ?? '',
    imageID: '',
    ready: false,
    restartCount: 0,
    started: false,
    state: { waiting: { reason: CONFIG_ERROR_REASON, message } },
  });
  const spec = pod.spec;
  const status: V1PodStatus = { phase: 'Pending', containerStatuses: (spec?.containers ?? []).map(waiting) };
  if (spec?.initContainers?.length) status.initContainerStatuses = spec.initContainers.map(waiting);
  return status;
}

/** True when the API status still shows the config error core wrote. */
export function showsConfigError(status: V1PodStatus | undefined): boolean {
  return [...(status?.containerStatuses ?? []), ...(status?.initContainerStatuses ?? [])].some(
    container => container.state?.waiting?.reason === CONFIG_ERROR_REASON,
  );
}
