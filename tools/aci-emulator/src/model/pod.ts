import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';

import type { WireEnvironmentVariable, WireGroupProperties } from './wire.js';

function env(variables: WireEnvironmentVariable[] | undefined): V1EnvVar[] {
  // A secure value reaches the process like any other; ACI only hides it from the API.
  return (variables ?? []).map(variable => ({
    name: variable.name,
    value: variable.secureValue ?? variable.value ?? '',
  }));
}

/**
 * The pod the mock process model runs for a container group: ACI's `command` is the whole exec-form
 * argv (image entrypoints are not modelled, so a container without a command runs for ever, as the
 * mock's do), environment variables with their secure values, and the group's restart policy.
 */
export function podForGroup(
  resourceGroup: string,
  name: string,
  uid: string,
  properties: WireGroupProperties,
): V1Pod {
  const containers: V1Container[] = properties.containers.map(container => ({
    name: container.name,
    image: container.properties.image,
    ...(container.properties.command ? { command: [...container.properties.command] } : {}),
    env: env(container.properties.environmentVariables),
    ports: (container.properties.ports ?? []).map(port => ({
      containerPort: port.port,
      protocol: (port.protocol ?? 'TCP').toUpperCase(),
    })),
  }));
  const initContainers: V1Container[] = (properties.initContainers ?? []).map(container => ({
    name: container.name,
    image: container.properties.image ?? '',
    ...(container.properties.command ? { command: [...container.properties.command] } : {}),
    env: env(container.properties.environmentVariables),
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: resourceGroup, name, uid },
    spec: {
      containers,
      ...(initContainers.length > 0 ? { initContainers } : {}),
      restartPolicy: properties.restartPolicy ?? 'Always',
    },
  };
}
