import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { PodIdentity } from '@vkubelet/provider-kit';

import type { EciContainer, EciContainerGroup } from '../client/wire.js';

function toContainer(container: EciContainer): V1Container {
  const command = container.Commands ?? container.Command ?? [];
  return {
    name: container.Name,
    image: container.Image ?? '',
    ...(command.length > 0 ? { command } : {}),
    ...(container.Args?.length ? { args: container.Args } : {}),
    ...(container.WorkingDir ? { workingDir: container.WorkingDir } : {}),
    env: (container.EnvironmentVars ?? []).map(variable => ({
      name: variable.Key ?? '',
      value: variable.Value ?? '',
    })),
  };
}

/**
 * The pod a group was created for, rebuilt from its tags and containers: enough for core to match it
 * against the API server (namespace, name, UID) and to report its containers until core hands the
 * provider the API's copy of the pod.
 */
export function podFromGroup(group: EciContainerGroup, identity: PodIdentity, nodeName: string): V1Pod {
  const initContainers = (group.InitContainers ?? []).map(toContainer);
  const restartPolicy = group.RestartPolicy;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: identity.namespace, name: identity.name, uid: identity.uid },
    spec: {
      nodeName,
      containers: (group.Containers ?? []).map(toContainer),
      ...(initContainers.length > 0 ? { initContainers } : {}),
      ...(restartPolicy === 'Always' || restartPolicy === 'OnFailure' || restartPolicy === 'Never'
        ? { restartPolicy }
        : {}),
    },
  };
}
