import type { V1Pod } from '@kubernetes/client-node';

/**
 * A copy of `pod` whose container objects (init, app, ephemeral) are its own, so their env, envFrom,
 * command and args can be replaced; everything else is shared with `pod`, which nobody mutates (the
 * informer replaces objects, it never edits them). The controller keeps one of these per pod, so a
 * deep copy would double the memory of every spec (volumes, mounts, tolerations) on the node.
 */
export function withOwnContainers(pod: V1Pod): V1Pod {
  const spec = pod.spec;
  if (!spec) return { ...pod };
  return {
    ...pod,
    spec: {
      ...spec,
      containers: spec.containers.map(container => ({ ...container })),
      ...(spec.initContainers && {
        initContainers: spec.initContainers.map(container => ({ ...container })),
      }),
      ...(spec.ephemeralContainers && {
        ephemeralContainers: spec.ephemeralContainers.map(container => ({ ...container })),
      }),
    },
  };
}
