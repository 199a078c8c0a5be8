import type { V1ContainerStatus, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';

/** Event and state reason for an ephemeral container the provider does not run. */
export const EPHEMERAL_NOT_SUPPORTED = 'EphemeralContainersNotSupported';

const MESSAGE = "ephemeral containers (kubectl debug) are not supported by this node's provider";

/** The pod without its ephemeral containers, as a provider that cannot run them gets it. */
export function withoutEphemeralContainers(pod: V1Pod): V1Pod {
  if (!pod.spec?.ephemeralContainers) return pod;
  const { ephemeralContainers: _dropped, ...spec } = pod.spec;
  return { ...pod, spec };
}

/** The event note for one refused ephemeral container. */
export function refusedNote(container: V1EphemeralContainer): string {
  return `${MESSAGE}: container ${JSON.stringify(container.name)} will not run`;
}

/**
 * A status for each ephemeral container the provider will not run: terminated, so `kubectl debug`
 * stops waiting for it, with the reason and a message that say why.
 */
export function refusedStatuses(containers: readonly V1EphemeralContainer[], now: Date): V1ContainerStatus[] {
  return containers.map(container => ({
    name: container.name,
    image: container.image ?? '',
    imageID: '',
    ready: false,
    restartCount: 0,
    state: {
      terminated: {
        exitCode: 128,
        reason: EPHEMERAL_NOT_SUPPORTED,
        message: MESSAGE,
        startedAt: now,
        finishedAt: now,
      },
    },
  }));
}
