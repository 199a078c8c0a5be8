import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { podIdentity, type VolumeFile } from '@vkubelet/provider-kit';

import {
  NANOS_PER_MS,
  type JobSpec,
  type JobType,
  type NetworkResource,
  type Port,
  type ReschedulePolicy,
  type RestartPolicy,
  type Task,
  type TaskGroup,
} from '../nomad/types.js';
import { jobId, jobMeta } from './identity.js';
import { refuse } from './refuse.js';
import { ephemeralDiskMB, taskResources, type CpuSettings } from './resources.js';
import { containerVolumes, podVolumes } from './volumes.js';

/**
 * How a pod's network is made: `bridge` gives each allocation its own network namespace and address
 * (the pod IP; containers share localhost, as in a pod), `host` runs tasks on the client's network.
 */
export const NETWORK_MODES = ['bridge', 'host'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

/** Task drivers a container can run on: docker runs images, raw_exec and exec run commands. */
export const DRIVERS = ['docker', 'raw_exec', 'exec'] as const;
export type Driver = (typeof DRIVERS)[number];

/** Pod annotations the mapping reads. */
export const ANNOTATIONS = {
  /** The task driver of the pod's containers; `nomad.vkubelet.io/driver.<container>` for one. */
  driver: 'nomad.vkubelet.io/driver',
  /** Comma-separated datacenters for the pod's job (the Go provider's annotation). */
  datacenters: 'nomad.hashicorp.com/datacenters',
  /** The node pool of the pod's job. */
  nodePool: 'nomad.vkubelet.io/node-pool',
} as const;

/** The one task group of a pod's job. */
export const GROUP = 'pod';

/** How restarts are paced: Kubernetes' back-off as a Nomad restart policy in `delay` mode. */
export interface RestartSettings {
  /** Restarts within one interval, each after `delayMs` (plus Nomad's jitter). */
  attempts: number;
  intervalMs: number;
  delayMs: number;
}

/** What the mapping needs from the provider config. */
export interface JobSettings extends CpuSettings {
  nodeName: string;
  namespace: string;
  region?: string | undefined;
  jobPrefix: string;
  datacenters: readonly string[];
  nodePool?: string | undefined;
  priority: number;
  driver: Driver;
  networkMode: NetworkMode;
  restart: RestartSettings;
}

/** What the mapping reads from the cluster before building the job (see `readVolumeFiles`). */
export interface PodContent {
  /** Files of the pod's configMap, secret, downwardAPI and projected volumes, by volume name. */
  volumeFiles: ReadonlyMap<string, readonly VolumeFile[]>;
}

interface ContainerEntry {
  container: V1Container;
  path: string;
  init: boolean;
}

const DEFAULT_KILL_TIMEOUT_S = 30;

/** The restart policy decides the job type and how Nomad restarts and replaces its tasks. */
function lifecyclePolicies(
  restartPolicy: string,
  restart: RestartSettings,
): { type: JobType; RestartPolicy: RestartPolicy; ReschedulePolicy?: ReschedulePolicy } {
  const paced: RestartPolicy = {
    Attempts: restart.attempts,
    Interval: restart.intervalMs * NANOS_PER_MS,
    Delay: restart.delayMs * NANOS_PER_MS,
    // Past the attempts, wait for the next interval instead of failing: Kubernetes never gives up.
    Mode: 'delay',
  };
  switch (restartPolicy) {
    case 'Always':
      // Service tasks restart whatever their exit code.
      return { type: 'service', RestartPolicy: paced };
    case 'OnFailure':
      // Batch tasks restart only after a failure; an exit 0 completes them.
      return { type: 'batch', RestartPolicy: paced };
    case 'Never':
      return {
        type: 'batch',
        RestartPolicy: { ...paced, Attempts: 0, Mode: 'fail' },
        // A failed allocation stays failed instead of being placed again.
        ReschedulePolicy: { Attempts: 0, Interval: 0, Unlimited: false },
      };
    default:
      refuse('spec.restartPolicy', `unknown policy "${restartPolicy}"`);
  }
}

function driverOf(pod: V1Pod, container: V1Container, fallback: Driver): Driver {
  const annotations = pod.metadata?.annotations ?? {};
  const key = `${ANNOTATIONS.driver}.${container.name}`;
  const chosen = annotations[key] ?? annotations[ANNOTATIONS.driver] ?? fallback;
  if (!(DRIVERS as readonly string[]).includes(chosen)) {
    const source = annotations[key] !== undefined ? key : ANNOTATIONS.driver;
    refuse(`metadata.annotations[${source}]`, `driver "${chosen}" is not one of ${DRIVERS.join(', ')}`);
  }
  return chosen as Driver;
}

/** Port labels are what Nomad's NOMAD_PORT_<label> variables are named after: letters, digits, `_`. */
export function portLabel(container: string, port: { name?: string; containerPort: number }): string {
  return `${container}_${port.name ?? port.containerPort}`.replace(/[^A-Za-z0-9_]/g, '_');
}

interface GroupPorts {
  dynamic: Port[];
  reserved: Port[];
}

/**
 * A container's ports in the group's network. With docker each is a dynamic host port mapped to the
 * container port (a static one for a hostPort); raw_exec and exec have no port mapping, so their
 * processes listen on the host: a static port at the container port.
 */
function containerPorts(entry: ContainerEntry, mapsPorts: boolean, ports: GroupPorts): string[] {
  const { container, path } = entry;
  return (container.ports ?? []).map((port, i) => {
    const where = `${path}.ports[${i}]`;
    if (port.protocol === 'SCTP') refuse(`${where}.protocol`, 'Nomad ports are TCP and UDP');
    if (port.hostIP) refuse(`${where}.hostIP`, "ports bind the Nomad client's address");
    const label = portLabel(container.name, port);
    if (!mapsPorts && port.hostPort && port.hostPort !== port.containerPort)
      refuse(`${where}.hostPort`, 'this driver cannot map a host port to another container port');
    if (port.hostPort || !mapsPorts)
      ports.reserved.push({
        Label: label,
        Value: port.hostPort || port.containerPort,
        To: port.containerPort,
      });
    else ports.dynamic.push({ Label: label, To: port.containerPort });
    return label;
  });
}

/** Kubernetes' `command` replaces the image's ENTRYPOINT and `args` its CMD, as docker names them. */
function dockerConfig(
  pod: V1Pod,
  entry: ContainerEntry,
  portLabels: string[],
  binds: string[],
  bridge: boolean,
): Record<string, unknown> {
  const { container, path } = entry;
  if (!container.image) refuse(`${path}.image`, 'the docker driver needs an image');
  const spec = pod.spec!;
  const security = container.securityContext;
  const identity = podIdentity(pod);
  const capabilities = (list: string[] | undefined) =>
    list?.map(cap => cap.replace(/^CAP_/, '').toLowerCase());
  return {
    image: container.image,
    ...(container.command ? { entrypoint: container.command } : {}),
    ...(container.args ? { args: container.args } : {}),
    ...(container.workingDir ? { work_dir: container.workingDir } : {}),
    // In bridge mode the group's network maps the ports and names the host.
    ...(!bridge && portLabels.length > 0 ? { ports: portLabels } : {}),
    ...(binds.length > 0 ? { volumes: binds } : {}),
    ...(!bridge ? { hostname: podHostname(pod) } : {}),
    labels: {
      'io.kubernetes.pod.namespace': identity.namespace,
      'io.kubernetes.pod.name': identity.name,
      'io.kubernetes.pod.uid': identity.uid,
      'io.kubernetes.container.name': container.name,
    },
    ...(container.imagePullPolicy === 'Always' ? { force_pull: true } : {}),
    ...(security?.privileged ? { privileged: true } : {}),
    ...(security?.capabilities?.add?.length ? { cap_add: capabilities(security.capabilities.add) } : {}),
    ...(security?.capabilities?.drop?.length ? { cap_drop: capabilities(security.capabilities.drop) } : {}),
    ...(security?.readOnlyRootFilesystem ? { readonly_rootfs: true } : {}),
    ...(container.stdin ? { interactive: true } : {}),
    ...(container.tty ? { tty: true } : {}),
    ...(spec.hostAliases?.length
      ? {
          extra_hosts: spec.hostAliases.flatMap(alias =>
            (alias.hostnames ?? []).map(host => `${host}:${alias.ip}`),
          ),
        }
      : {}),
    ...(!bridge && spec.dnsConfig?.nameservers?.length ? { dns_servers: spec.dnsConfig.nameservers } : {}),
    ...(!bridge && spec.dnsConfig?.searches?.length ? { dns_search_domains: spec.dnsConfig.searches } : {}),
    ...(!bridge && spec.dnsConfig?.options?.length ? { dns_options: dnsOptions(spec) } : {}),
  };
}

/** The pod's hostname, as a kubelet sets it: `spec.hostname`, else the pod name, cut to a DNS label. */
function podHostname(pod: V1Pod): string {
  return (pod.spec?.hostname ?? pod.metadata?.name ?? '').slice(0, 63).replace(/[-.]+$/, '');
}

function dnsOptions(spec: V1PodSpec): string[] {
  return (spec.dnsConfig?.options ?? []).map(option =>
    option.value === undefined ? (option.name ?? '') : `${option.name ?? ''}:${option.value}`,
  );
}

/** raw_exec and exec run a command on the client (exec in a chroot): the container's command line. */
function commandConfig(
  entry: ContainerEntry,
  driver: Driver,
  pod: V1Pod,
  bridge: boolean,
): Record<string, unknown> {
  const { container, path } = entry;
  const line = [...(container.command ?? []), ...(container.args ?? [])];
  if (line.length === 0) refuse(`${path}.command`, `the ${driver} driver runs a command, not an image`);
  if (container.workingDir) refuse(`${path}.workingDir`, `the ${driver} driver runs in the task directory`);
  const security = container.securityContext;
  if (security?.privileged || security?.capabilities || security?.readOnlyRootFilesystem)
    refuse(`${path}.securityContext`, `the ${driver} driver sets only the user`);
  if (pod.spec?.hostAliases?.length)
    refuse('spec.hostAliases', `the ${driver} driver uses the client's hosts`);
  if (pod.spec?.dnsConfig && !bridge)
    refuse('spec.dnsConfig', `the ${driver} driver uses the client's resolver outside bridge networking`);
  return { command: line[0], ...(line.length > 1 ? { args: line.slice(1) } : {}) };
}

/** `runAsUser[:runAsGroup]`, the container's setting over the pod's. */
function taskUser(spec: V1PodSpec, container: V1Container): string | undefined {
  const user = container.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
  const group = container.securityContext?.runAsGroup ?? spec.securityContext?.runAsGroup;
  if (user === undefined) return undefined;
  return group === undefined ? String(user) : `${user}:${group}`;
}

function checkPod(spec: V1PodSpec): void {
  if (spec.hostNetwork) refuse('spec.hostNetwork', 'tasks use the network Nomad gives them');
  if (spec.hostPID) refuse('spec.hostPID', "tasks do not share the client's processes");
  if (spec.hostIPC) refuse('spec.hostIPC', "tasks do not share the client's IPC");
  if (spec.shareProcessNamespace) refuse('spec.shareProcessNamespace', 'each task has its own processes');
  if (spec.runtimeClassName)
    refuse('spec.runtimeClassName', 'the task driver is the runtime (use the annotation)');
  if (spec.os?.name && spec.os.name !== 'linux') refuse('spec.os.name', 'tasks run on Linux clients');
  const security = spec.securityContext;
  if (security?.sysctls?.length) refuse('spec.securityContext.sysctls', 'sysctls cannot be set');
  if (security?.seLinuxOptions) refuse('spec.securityContext.seLinuxOptions', 'SELinux labels cannot be set');
  if (security?.fsGroup !== undefined) refuse('spec.securityContext.fsGroup', 'volumes are not chowned');
  if (security?.supplementalGroups?.length)
    refuse('spec.securityContext.supplementalGroups', 'tasks run with one group');
  if (security?.runAsNonRoot && (security.runAsUser ?? 0) === 0)
    refuse('spec.securityContext.runAsNonRoot', 'only a non-zero runAsUser can be checked');
}

function checkContainer({ container, path }: ContainerEntry): void {
  const security = container.securityContext;
  if (security?.seLinuxOptions)
    refuse(`${path}.securityContext.seLinuxOptions`, 'SELinux labels cannot be set');
  if (security?.procMount && security.procMount !== 'Default')
    refuse(`${path}.securityContext.procMount`, 'only the default /proc');
  if (security?.runAsNonRoot && (security.runAsUser ?? 0) === 0)
    refuse(`${path}.securityContext.runAsNonRoot`, 'only a non-zero runAsUser can be checked');
  if (container.resizePolicy?.length)
    refuse(`${path}.resizePolicy`, 'resources change only by replacing the task');
}

/**
 * The Nomad job a pod becomes: ID from its namespace and name, Meta naming the pod and the node, one
 * task group with a task per container (init containers as `prestart` tasks, sidecars with
 * `sidecar`), the job type and restart policy from the pod's restart policy. Everything Nomad cannot
 * carry is refused with an InvalidInputError naming the field, before anything is registered.
 */
export function buildJob(pod: V1Pod, settings: JobSettings, content: PodContent): JobSpec {
  const identity = podIdentity(pod);
  const spec = pod.spec;
  if (!spec?.containers?.length) refuse('spec.containers', 'at least one container is needed');
  checkPod(spec);
  const entries: ContainerEntry[] = [
    ...(spec.initContainers ?? []).map((container, i) => ({
      container,
      path: `spec.initContainers[${i}]`,
      init: true,
    })),
    ...spec.containers.map((container, i) => ({ container, path: `spec.containers[${i}]`, init: false })),
  ];
  const volumes = podVolumes(pod);
  const ports: GroupPorts = { dynamic: [], reserved: [] };
  const killTimeout = (spec.terminationGracePeriodSeconds ?? DEFAULT_KILL_TIMEOUT_S) * 1000 * NANOS_PER_MS;
  const bridge = settings.networkMode === 'bridge';
  const tasks = entries.map((entry): Task => {
    checkContainer(entry);
    const { container, path, init } = entry;
    const driver = driverOf(pod, container, settings.driver);
    const docker = driver === 'docker';
    const labels = containerPorts(entry, docker, ports);
    const { templates, binds } = containerVolumes(container, path, docker, volumes, content.volumeFiles);
    const resources = taskResources(container, path, settings);
    const user = taskUser(spec, container);
    const env = Object.fromEntries((container.env ?? []).map(e => [e.name, e.value ?? '']));
    return {
      Name: container.name,
      Driver: driver,
      ...(init ? { Lifecycle: { Hook: 'prestart', Sidecar: container.restartPolicy === 'Always' } } : {}),
      Config: docker
        ? dockerConfig(pod, entry, labels, binds, bridge)
        : commandConfig(entry, driver, pod, bridge),
      ...(Object.keys(env).length > 0 ? { Env: env } : {}),
      ...(resources ? { Resources: resources } : {}),
      ...(templates.length > 0 ? { Templates: templates } : {}),
      ...(user ? { User: user } : {}),
      KillTimeout: killTimeout,
    };
  });
  const policies = lifecyclePolicies(spec.restartPolicy ?? 'Always', settings.restart);
  // Bridge mode always gets a network (the pod's own address); host mode only to allocate ports.
  const network: NetworkResource | undefined =
    bridge || ports.dynamic.length + ports.reserved.length > 0
      ? {
          Mode: settings.networkMode,
          ...(ports.dynamic.length > 0 ? { DynamicPorts: ports.dynamic } : {}),
          ...(ports.reserved.length > 0 ? { ReservedPorts: ports.reserved } : {}),
          ...(bridge ? { Hostname: podHostname(pod) } : {}),
          ...(bridge && spec.dnsConfig
            ? {
                DNS: {
                  ...(spec.dnsConfig.nameservers?.length ? { Servers: spec.dnsConfig.nameservers } : {}),
                  ...(spec.dnsConfig.searches?.length ? { Searches: spec.dnsConfig.searches } : {}),
                  ...(spec.dnsConfig.options?.length ? { Options: dnsOptions(spec) } : {}),
                },
              }
            : {}),
        }
      : undefined;
  const diskMB = ephemeralDiskMB(entries);
  const group: TaskGroup = {
    Name: GROUP,
    Count: 1,
    Tasks: tasks,
    RestartPolicy: policies.RestartPolicy,
    ...(policies.ReschedulePolicy ? { ReschedulePolicy: policies.ReschedulePolicy } : {}),
    ...(network ? { Networks: [network] } : {}),
    ...(diskMB > 0 ? { EphemeralDisk: { SizeMB: diskMB } } : {}),
  };
  const annotations = pod.metadata?.annotations ?? {};
  const datacenters = annotations[ANNOTATIONS.datacenters]
    ?.split(',')
    .map(dc => dc.trim())
    .filter(Boolean);
  const nodePool = annotations[ANNOTATIONS.nodePool] ?? settings.nodePool;
  const id = jobId(settings.jobPrefix, identity.namespace, identity.name);
  return {
    ID: id,
    Name: id,
    Namespace: settings.namespace,
    ...(settings.region ? { Region: settings.region } : {}),
    Type: policies.type,
    Priority: settings.priority,
    Datacenters: datacenters?.length ? datacenters : [...settings.datacenters],
    ...(nodePool ? { NodePool: nodePool } : {}),
    TaskGroups: [group],
    Meta: jobMeta(identity, settings.nodeName, pod),
  };
}
