import type { V1Pod } from '@kubernetes/client-node';

import { carryOverEnvironment } from './carry-over.js';
import { resolvePodEnvironment, type EnvResolutionContext } from './env/resolve-env.js';
import type { PodState } from './types.js';

/**
 * The pod as the provider gets it. A pod not yet in the provider is resolved in full; one already
 * there keeps the env it was started with (containers' env is immutable) and only new ephemeral
 * containers are resolved. Throws EnvResolutionError.
 */
export async function resolveForProvider(
  pod: V1Pod,
  state: PodState,
  context: EnvResolutionContext,
): Promise<V1Pod> {
  if (!state.applied) return resolvePodEnvironment(pod, context);
  const { pod: carried, unresolved } = carryOverEnvironment(pod, state.applied);
  if (unresolved.length === 0 || !carried.spec) return carried;
  const onlyNew = await resolvePodEnvironment(
    {
      ...carried,
      spec: { ...carried.spec, containers: [], initContainers: [], ephemeralContainers: unresolved },
    },
    context,
  );
  const fresh = new Map(
    (onlyNew.spec?.ephemeralContainers ?? []).map(container => [container.name, container]),
  );
  carried.spec.ephemeralContainers = carried.spec.ephemeralContainers?.map(
    container => fresh.get(container.name) ?? container,
  );
  return carried;
}
