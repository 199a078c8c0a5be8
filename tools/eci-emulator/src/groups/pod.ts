import type { V1Container, V1Pod } from '@kubernetes/client-node';

import type { ContainerSpec, GroupSpec } from './spec.js';

/**
 * The pod the mock's process model runs for a container group: its containers and init containers
 * with command, args, env (`status.podIP` resolved to the group's IP) and working dir, the restart
 * policy and the active deadline. The mock's shell then makes output, exit codes and restarts real.
 */
export function podForGroup(group: { uuid: string; spec: GroupSpec; ip: string }): V1Pod {
  const { spec } = group;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: spec.name, namespace: 'eci', uid: group.uuid },
    spec: {
      restartPolicy: spec.restartPolicy,
      containers: spec.containers.map(container => containerFor(container, group.ip)),
      ...(spec.initContainers.length > 0
        ? { initContainers: spec.initContainers.map(container => containerFor(container, group.ip)) }
        : {}),
      ...(spec.activeDeadlineSeconds !== undefined
        ? { activeDeadlineSeconds: spec.activeDeadlineSeconds }
        : {}),
    },
  };
}

function containerFor(container: ContainerSpec, ip: string): V1Container {
  return {
    name: container.name,
    image: container.image,
    ...(container.command.length > 0 ? { command: container.command } : {}),
    ...(container.args.length > 0 ? { args: container.args } : {}),
    env: container.env.map(variable => ({
      name: variable.key,
      value: variable.fieldPath === 'status.podIP' ? ip : (variable.value ?? ''),
    })),
    ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    stdin: container.stdin,
    tty: container.tty,
  };
}
