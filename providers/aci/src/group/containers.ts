import type {
  Container,
  ContainerPort,
  EnvironmentVariable,
  InitContainerDefinition,
  SecurityContextDefinition,
  VolumeMount,
} from '@azure/arm-containerinstance';
import type { V1Container, V1PodSecurityContext } from '@kubernetes/client-node';
import { InvalidInputError } from '@vkubelet/provider-kit';

import { containerProbe } from './probes.js';
import { refuse } from './refuse.js';
import { containerResources, type SizeDefaults } from './resources.js';

/** What mapping a container needs from its pod. */
export interface ContainerContext {
  defaults: SizeDefaults;
  /** The pod's GPU SKU annotation, if any. */
  gpuSku: string | undefined;
  /** Volumes the group carries (mounts of them are sent). */
  volumes: ReadonlySet<string>;
  /** Volumes left out on purpose (the service-account token on Windows): their mounts are dropped. */
  dropped: ReadonlySet<string>;
  podSecurity: V1PodSecurityContext | undefined;
}

/**
 * ACI's `command` is the whole exec-form argv: it replaces the image's entrypoint and its arguments
 * together. Kubernetes `command` + `args` is exactly that; `args` alone (keep the entrypoint, change
 * its arguments) cannot be said.
 */
export function aciCommand(container: V1Container, path: string): string[] | undefined {
  if (container.args?.length && !container.command?.length) {
    refuse(
      `${path}.args`,
      "ACI cannot keep the image's entrypoint with other arguments; give the command too (command: [entrypoint], args: [...])",
    );
  }
  if (!container.command?.length) return undefined;
  return [...container.command, ...(container.args ?? [])];
}

/**
 * The container's resolved environment. A value core read from a Secret (it keeps
 * `valueFrom.secretKeyRef`) goes as a `secureValue`, which ACI never shows again.
 */
export function environment(container: V1Container): EnvironmentVariable[] {
  return (container.env ?? []).map(variable =>
    variable.valueFrom?.secretKeyRef
      ? { name: variable.name, secureValue: variable.value ?? '' }
      : { name: variable.name, value: variable.value ?? '' },
  );
}

function ports(container: V1Container, path: string): ContainerPort[] {
  return (container.ports ?? []).map((port, i) => {
    const field = `${path}.ports[${i}]`;
    if (port.hostPort !== undefined && port.hostPort !== 0)
      refuse(`${field}.hostPort`, 'there is no host to bind');
    if (port.hostIP) refuse(`${field}.hostIP`, 'there is no host to bind');
    const protocol = (port.protocol ?? 'TCP').toUpperCase();
    if (protocol !== 'TCP' && protocol !== 'UDP')
      refuse(`${field}.protocol`, `${port.protocol} is not offered`);
    return { port: port.containerPort, protocol };
  });
}

function volumeMounts(container: V1Container, path: string, context: ContainerContext): VolumeMount[] {
  const mounts: VolumeMount[] = [];
  (container.volumeMounts ?? []).forEach((mount, i) => {
    const field = `${path}.volumeMounts[${i}]`;
    if (mount.subPath || mount.subPathExpr)
      refuse(`${field}.subPath`, 'sub-paths of a volume cannot be mounted');
    if (mount.mountPropagation && mount.mountPropagation !== 'None')
      refuse(`${field}.mountPropagation`, 'mounts do not propagate');
    if (context.dropped.has(mount.name)) return;
    if (!context.volumes.has(mount.name))
      throw new InvalidInputError(`${field}.name: no volume "${mount.name}" in the pod`);
    mounts.push({
      name: mount.name,
      mountPath: mount.mountPath,
      ...(mount.readOnly ? { readOnly: true } : {}),
    });
  });
  if (container.volumeDevices?.length) refuse(`${path}.volumeDevices`, 'block devices cannot be attached');
  return mounts;
}

/**
 * The container's security settings, in the fields ACI's securityContext has (the pod's settings
 * apply where the container sets none). Settings ACI has no field for are refused rather than
 * dropped: a container must not run less confined than its pod asked.
 */
function securityContext(
  container: V1Container,
  path: string,
  pod: V1PodSecurityContext | undefined,
): SecurityContextDefinition | undefined {
  const own = container.securityContext;
  const field = `${path}.securityContext`;
  if (own?.privileged) refuse(`${field}.privileged`, 'privileged containers are not offered');
  if (own?.readOnlyRootFilesystem)
    refuse(`${field}.readOnlyRootFilesystem`, 'the root filesystem is always writable');
  if (own?.seLinuxOptions) refuse(`${field}.seLinuxOptions`, 'SELinux labels cannot be set');
  if (own?.appArmorProfile && own.appArmorProfile.type !== 'RuntimeDefault')
    refuse(`${field}.appArmorProfile`, 'AppArmor profiles cannot be chosen');
  if (own?.windowsOptions) refuse(`${field}.windowsOptions`, 'Windows security options cannot be set');
  if (own?.procMount && own.procMount !== 'Default')
    refuse(`${field}.procMount`, '/proc is always masked as usual');
  const seccomp = own?.seccompProfile ?? pod?.seccompProfile;
  if (seccomp && seccomp.type === 'Localhost')
    refuse(`${field}.seccompProfile`, 'node-local seccomp profiles do not exist here');
  const runAsUser = own?.runAsUser ?? pod?.runAsUser;
  const runAsGroup = own?.runAsGroup ?? pod?.runAsGroup;
  const runAsNonRoot = own?.runAsNonRoot ?? pod?.runAsNonRoot;
  if (runAsNonRoot && runAsUser === undefined)
    refuse(`${field}.runAsNonRoot`, "the image's user cannot be checked; set runAsUser to a non-root UID");
  if (runAsNonRoot && runAsUser === 0) refuse(`${field}.runAsUser`, 'runAsNonRoot forbids UID 0');
  const add = own?.capabilities?.add ?? [];
  const drop = own?.capabilities?.drop ?? [];
  const definition: SecurityContextDefinition = {
    ...(own?.allowPrivilegeEscalation !== undefined
      ? { allowPrivilegeEscalation: own.allowPrivilegeEscalation }
      : {}),
    ...(add.length || drop.length
      ? { capabilities: { ...(add.length ? { add } : {}), ...(drop.length ? { drop } : {}) } }
      : {}),
    ...(runAsUser !== undefined ? { runAsUser } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup } : {}),
  };
  return Object.keys(definition).length > 0 ? definition : undefined;
}

/** Fields no ACI container can carry, checked for app and init containers alike. */
function refuseCommon(container: V1Container, path: string): void {
  if (!container.image) throw new InvalidInputError(`${path}.image is required`);
  if (container.workingDir) refuse(`${path}.workingDir`, "the image's working directory cannot be changed");
  if (container.lifecycle) refuse(`${path}.lifecycle`, 'lifecycle hooks are not run');
  if (container.startupProbe) refuse(`${path}.startupProbe`, 'only liveness and readiness probes are run');
  if (container.restartPolicy) refuse(`${path}.restartPolicy`, 'sidecar containers are not offered');
}

export function appContainer(container: V1Container, path: string, context: ContainerContext): Container {
  refuseCommon(container, path);
  const command = aciCommand(container, path);
  const containerPorts = ports(container, path);
  const mounts = volumeMounts(container, path, context);
  const liveness = containerProbe(container.livenessProbe, container, `${path}.livenessProbe`);
  const readiness = containerProbe(container.readinessProbe, container, `${path}.readinessProbe`);
  const security = securityContext(container, path, context.podSecurity);
  return {
    name: container.name,
    image: container.image!,
    ...(command ? { command } : {}),
    ...(containerPorts.length > 0 ? { ports: containerPorts } : {}),
    environmentVariables: environment(container),
    resources: containerResources(container.resources, path, context.defaults, context.gpuSku),
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
    ...(liveness ? { livenessProbe: liveness } : {}),
    ...(readiness ? { readinessProbe: readiness } : {}),
    ...(security ? { securityContext: security } : {}),
  };
}

/**
 * An init container: ACI runs them in order before the app containers, within the group's
 * resources (it has no per-init-container sizes, so their requests and limits are not sent), and
 * without ports or probes.
 */
export function initContainer(
  container: V1Container,
  path: string,
  context: ContainerContext,
): InitContainerDefinition {
  refuseCommon(container, path);
  if (container.ports?.length) refuse(`${path}.ports`, 'init containers cannot expose ports');
  if (container.livenessProbe) refuse(`${path}.livenessProbe`, 'init containers are not probed');
  if (container.readinessProbe) refuse(`${path}.readinessProbe`, 'init containers are not probed');
  const command = aciCommand(container, path);
  const mounts = volumeMounts(container, path, context);
  const security = securityContext(container, path, context.podSecurity);
  return {
    name: container.name,
    image: container.image!,
    ...(command ? { command } : {}),
    environmentVariables: environment(container),
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
    ...(security ? { securityContext: security } : {}),
  };
}
