import type { ContainerGroup } from '@azure/arm-containerinstance';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { PodIdentity } from '@vkubelet/provider-kit';

/**
 * The pod a container group runs, rebuilt from its tags and containers: enough for core to match it
 * with the API server's pod (namespace, name, UID) and to show its containers until core hands the
 * provider the API server's copy.
 */
export function podFromGroup(identity: PodIdentity, nodeName: string, group: ContainerGroup): V1Pod {
  const toContainer = (c: { name: string; image?: string; command?: string[] }): V1Container => ({
    name: c.name,
    image: c.image ?? '',
    ...(c.command?.length ? { command: c.command } : {}),
  });
  const initContainers = (group.initContainers ?? []).map(toContainer);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: identity.namespace, name: identity.name, uid: identity.uid },
    spec: {
      nodeName,
      restartPolicy: group.restartPolicy ?? 'Always',
      containers: group.containers.map(toContainer),
      ...(initContainers.length > 0 ? { initContainers } : {}),
    },
  };
}
