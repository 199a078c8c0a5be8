import type { V1Container, V1PodSecurityContext } from '@kubernetes/client-node';
import { InvalidInputError } from '@vkubelet/provider-kit';

import type { ParamTree } from '../client/params.js';
import { mapProbe } from './probes.js';
import { refuse, refuseIf } from './refuse.js';
import { resourceAsk, roundUp, type ResourceAsk } from './resources.js';
import { mapSecurityContext } from './security.js';

/** ECI: at most 10 `Arg` values per container. */
const MAX_ARGS = 10;
/** ECI's variable names; Kubernetes allows more (dots, dashes), which ECI refuses. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export interface MappedContainer {
  params: ParamTree;
  ask: ResourceAsk;
}

export interface ContainerContext {
  path: string;
  init: boolean;
  /** Volumes left out with their mounts (the service-account token). */
  dropped: ReadonlySet<string>;
  podSecurity: V1PodSecurityContext | undefined;
}

/**
 * Kubernetes `command` replaces the image's entrypoint and `args` its command, as ECI's `Command`
 * and `Arg` do. ECI takes at most 10 `Arg`s; past that, with a command, the arguments follow it in
 * `Command` (the same process); without one there is no way to say it.
 */
function commandAndArgs(container: V1Container, path: string): { Command?: string[]; Arg?: string[] } {
  const command = container.command ?? [];
  const args = container.args ?? [];
  if (args.length <= MAX_ARGS) {
    return { ...(command.length ? { Command: command } : {}), ...(args.length ? { Arg: args } : {}) };
  }
  if (command.length === 0) {
    refuse(`${path}.args`, `ECI takes at most ${MAX_ARGS} arguments without a command`);
  }
  return { Command: [...command, ...args] };
}

/** Resolved env (core expanded valueFrom and envFrom); the last of two equal names wins, as in Kubernetes. */
function environment(container: V1Container, path: string): ParamTree[] {
  const byName = new Map<string, string>();
  (container.env ?? []).forEach((variable, index) => {
    if (!ENV_NAME.test(variable.name)) {
      refuse(
        `${path}.env[${index}].name`,
        `ECI takes names of letters, digits and _ only, not "${variable.name}"`,
      );
    }
    byName.delete(variable.name);
    byName.set(variable.name, variable.value ?? '');
  });
  return [...byName].map(([Key, Value]) => ({ Key, Value }));
}

function ports(container: V1Container, path: string): ParamTree[] {
  return (container.ports ?? []).map((port, index) => {
    const field = `${path}.ports[${index}]`;
    refuseIf(port.hostPort, `${field}.hostPort`, 'there is no host port to bind');
    refuseIf(port.hostIP, `${field}.hostIP`, 'there is no host address to bind');
    const protocol = port.protocol ?? 'TCP';
    if (protocol !== 'TCP' && protocol !== 'UDP') refuse(`${field}.protocol`, `${protocol} is not offered`);
    return { Port: port.containerPort, Protocol: protocol };
  });
}

function volumeMounts(container: V1Container, path: string, dropped: ReadonlySet<string>): ParamTree[] {
  return (container.volumeMounts ?? []).flatMap((mount, index) => {
    if (dropped.has(mount.name)) return [];
    const field = `${path}.volumeMounts[${index}]`;
    refuseIf(mount.subPathExpr, `${field}.subPathExpr`, 'ECI mounts fixed sub-paths only');
    refuseIf(
      mount.recursiveReadOnly && mount.recursiveReadOnly !== 'Disabled',
      `${field}.recursiveReadOnly`,
      'ECI has no recursive read-only mounts',
    );
    return [
      {
        Name: mount.name,
        MountPath: mount.mountPath,
        ReadOnly: mount.readOnly ?? false,
        SubPath: mount.subPath || undefined,
        MountPropagation: mount.mountPropagation,
      },
    ];
  });
}

/**
 * A container (app or init) as ECI's: image and pull policy, command and args, env, ports, mounts,
 * size (limits, else requests), probes, security context, stdin/tty. Lifecycle hooks, startup
 * probes, sidecars, devices and the like are refused, naming the field.
 */
export function mapContainer(container: V1Container, context: ContainerContext): MappedContainer {
  const { path, init } = context;
  if (!container.image) throw new InvalidInputError(`${path}.image is required`);
  refuseIf(container.lifecycle, `${path}.lifecycle`, 'ECI runs no postStart/preStop hooks');
  refuseIf(container.startupProbe, `${path}.startupProbe`, 'ECI runs liveness and readiness probes only');
  refuseIf(container.volumeDevices?.length, `${path}.volumeDevices`, 'there are no block devices');
  refuseIf(container.restartPolicy, `${path}.restartPolicy`, 'ECI has no sidecar containers');
  refuseIf(
    container.resizePolicy?.some(policy => policy.restartPolicy === 'RestartContainer'),
    `${path}.resizePolicy`,
    'ECI resizes no running container',
  );
  const ask = resourceAsk(container.resources, `${path}.resources`);
  const params: ParamTree = {
    Name: container.name,
    Image: container.image,
    ImagePullPolicy: container.imagePullPolicy,
    ...commandAndArgs(container, path),
    WorkingDir: container.workingDir,
    EnvironmentVar: environment(container, path),
    Port: ports(container, path),
    VolumeMount: volumeMounts(container, path, context.dropped),
    Cpu: ask.cpu > 0 ? roundUp(ask.cpu) : undefined,
    Memory: ask.memory > 0 ? roundUp(ask.memory) : undefined,
    Gpu: ask.gpu > 0 ? ask.gpu : undefined,
    Stdin: container.stdin || undefined,
    StdinOnce: container.stdinOnce || undefined,
    Tty: container.tty || undefined,
    LivenessProbe: init ? undefined : mapProbe(container.livenessProbe, container, `${path}.livenessProbe`),
    ReadinessProbe: init
      ? undefined
      : mapProbe(container.readinessProbe, container, `${path}.readinessProbe`),
    SecurityContext: mapSecurityContext(
      container.securityContext,
      context.podSecurity,
      `${path}.securityContext`,
    ),
  };
  return { params, ask };
}
