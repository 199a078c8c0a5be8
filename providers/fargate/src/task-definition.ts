import type {
  ContainerDefinition,
  ContainerDependency,
  PortMapping,
  RegisterTaskDefinitionCommandInput,
  Volume,
} from '@aws-sdk/client-ecs';
import type { V1Container, V1Pod, V1ResourceRequirements } from '@kubernetes/client-node';
import { InvalidInputError, parseQuantity, podIdentity } from '@vkubelet/provider-kit';

import { podTags, taskFamily } from './identity.js';
import { fargateTaskSize, MAX_TASK_SIZE, type TaskSize } from './task-size.js';

/** What the mapping needs from the provider config. */
export interface TaskDefinitionSettings {
  nodeName: string;
  region: string;
  executionRoleArn?: string | undefined;
  taskRoleArn?: string | undefined;
  logGroup?: string | undefined;
  logStreamPrefix: string;
}

/** Pod annotation naming the task's IAM role (as kube2iam and the Go provider used it). */
export const TASK_ROLE_ANNOTATION = 'iam.amazonaws.com/role';

/** Fargate lets a task add only this capability (AWS docs, LinuxParameters.capabilities). */
const ADDABLE_CAPABILITIES = new Set(['SYS_PTRACE']);
/** Resources Fargate can size a task by; anything else (GPUs, hugepages, devices) is refused. */
const SIZED_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
/** Fargate's free ephemeral storage; more is configured per task, up to 200 GiB. */
const DEFAULT_EPHEMERAL_GIB = 20;
const MAX_EPHEMERAL_GIB = 200;
const GiB = 2 ** 30;
const MiB = 2 ** 20;

function refuse(field: string, why: string): never {
  throw new InvalidInputError(`${field}: ${why} (not supported on Fargate)`);
}

interface ContainerWithPath {
  container: V1Container;
  path: string;
  init: boolean;
}

/** Pod → RegisterTaskDefinition input; throws InvalidInputError naming the first unsupported field. */
export function buildTaskDefinition(
  pod: V1Pod,
  settings: TaskDefinitionSettings,
): RegisterTaskDefinitionCommandInput {
  const identity = podIdentity(pod);
  const spec = pod.spec;
  if (!spec || spec.containers.length === 0)
    throw new InvalidInputError('spec.containers: at least one container is required');
  if (spec.hostNetwork) refuse('spec.hostNetwork', 'tasks get their own network interface');
  if (spec.hostPID) refuse('spec.hostPID', 'there is no host to share');
  if (spec.hostIPC) refuse('spec.hostIPC', 'there is no host to share');
  if (spec.securityContext?.sysctls?.length) refuse('spec.securityContext.sysctls', 'sysctls cannot be set');
  const os = spec.os?.name;
  if (os && os !== 'linux') refuse('spec.os.name', `only linux is provided, not ${os}`);

  const volumes = mapVolumes(pod);
  const all: ContainerWithPath[] = [
    ...(spec.initContainers ?? []).map((container, i) => ({
      container,
      path: `spec.initContainers[${i}]`,
      init: true,
    })),
    ...spec.containers.map((container, i) => ({ container, path: `spec.containers[${i}]`, init: false })),
  ];
  const family = taskFamily(identity.namespace, identity.name);
  const initNames = (spec.initContainers ?? []).map(c => c.name);
  const containerDefinitions = all.map(entry => mapContainer(entry, { settings, volumes, initNames }));

  const required = all.reduce<TaskSize>(
    (sum, { container }) => {
      const { cpu, memory } = containerSize(container.resources);
      return { cpu: sum.cpu + cpu, memory: sum.memory + memory };
    },
    { cpu: 0, memory: 0 },
  );
  const size = fargateTaskSize(required);
  if (!size) {
    refuse(
      'spec.containers[*].resources',
      `the pod needs ${required.cpu} CPU units and ${required.memory} MiB, more than the largest task ` +
        `(${MAX_TASK_SIZE.cpu} units, ${MAX_TASK_SIZE.memory} MiB)`,
    );
  }
  const ephemeralGiB = Math.ceil(
    all.reduce(
      (sum, { container, path }) => sum + quantityOf(container.resources, 'ephemeral-storage', path),
      0,
    ) / GiB,
  );
  if (ephemeralGiB > MAX_EPHEMERAL_GIB) {
    refuse(
      'spec.containers[*].resources.ephemeral-storage',
      `${ephemeralGiB} GiB exceeds ${MAX_EPHEMERAL_GIB} GiB`,
    );
  }

  shareUnclaimedMemory(containerDefinitions, size.memory);

  const taskRoleArn = pod.metadata?.annotations?.[TASK_ROLE_ANNOTATION] ?? settings.taskRoleArn;
  return {
    family,
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: String(size.cpu),
    memory: String(size.memory),
    ...(settings.executionRoleArn ? { executionRoleArn: settings.executionRoleArn } : {}),
    ...(taskRoleArn ? { taskRoleArn } : {}),
    ...(spec.shareProcessNamespace ? { pidMode: 'task' as const } : {}),
    ...(ephemeralGiB > DEFAULT_EPHEMERAL_GIB ? { ephemeralStorage: { sizeInGiB: ephemeralGiB } } : {}),
    ...(volumes.ecs.length > 0 ? { volumes: volumes.ecs } : {}),
    containerDefinitions,
    tags: podTags(identity, settings.nodeName),
  };
}

/** ECS refuses container memory values below this many MiB. */
const MIN_CONTAINER_MIB = 6;

/**
 * Containers without a memory request or limit get an equal share of what the others leave of the
 * task's memory as their soft reservation. Fargate itself only needs the task size, but the Go
 * provider always set one and ECS emulators (moto) fail RunTask without it; a share keeps the sum
 * of reservations within the task.
 */
function shareUnclaimedMemory(containers: ContainerDefinition[], taskMemory: number): void {
  const unclaimed = containers.filter(c => c.memory === undefined && c.memoryReservation === undefined);
  if (unclaimed.length === 0) return;
  const claimed = containers.reduce((sum, c) => sum + (c.memoryReservation ?? c.memory ?? 0), 0);
  const share = Math.floor((taskMemory - claimed) / unclaimed.length);
  if (share < MIN_CONTAINER_MIB) return;
  for (const container of unclaimed) container.memoryReservation = share;
}

interface PodVolumes {
  ecs: Volume[];
  /** Volumes whose mounts are dropped (the service-account token the API server adds to every pod). */
  skipped: Set<string>;
}

function mapVolumes(pod: V1Pod): PodVolumes {
  const result: PodVolumes = { ecs: [], skipped: new Set() };
  (pod.spec?.volumes ?? []).forEach((volume, i) => {
    const path = `spec.volumes[${i}]`;
    if (volume.hostPath) refuse(`${path}.hostPath`, 'there is no host filesystem');
    if (volume.emptyDir) {
      if (volume.emptyDir.medium === 'Memory')
        refuse(`${path}.emptyDir.medium`, 'memory-backed volumes are not offered');
      result.ecs.push({ name: volume.name });
      return;
    }
    // Projected volumes are how the API server injects the service-account token into nearly every
    // pod; refusing them would refuse every pod, and Fargate tasks authenticate to AWS with their
    // task role instead, so the mount is dropped rather than refused.
    if (volume.projected) {
      result.skipped.add(volume.name);
      return;
    }
    const kind = Object.keys(volume).find(key => key !== 'name') ?? 'unknown';
    refuse(`${path}.${kind}`, 'only emptyDir volumes can be provided');
  });
  return result;
}

interface ContainerContext {
  settings: TaskDefinitionSettings;
  volumes: PodVolumes;
  initNames: string[];
}

function mapContainer(
  { container, path, init }: ContainerWithPath,
  context: ContainerContext,
): ContainerDefinition {
  if (!container.image) throw new InvalidInputError(`${path}.image is required`);
  const security = container.securityContext;
  if (security?.privileged)
    refuse(`${path}.securityContext.privileged`, 'privileged containers are not allowed');
  const added = (security?.capabilities?.add ?? []).map(cap => cap.replace(/^CAP_/, ''));
  const notAddable = added.filter(cap => !ADDABLE_CAPABILITIES.has(cap));
  if (notAddable.length > 0) {
    refuse(
      `${path}.securityContext.capabilities.add`,
      `only ${[...ADDABLE_CAPABILITIES].join(', ')} can be added, not ${notAddable.join(', ')}`,
    );
  }
  const dropped = (security?.capabilities?.drop ?? []).map(cap => cap.replace(/^CAP_/, ''));
  const { cpu, memoryLimit, memoryReservation } = containerDefinitionSize(container.resources, path);

  const portMappings: PortMapping[] = (container.ports ?? []).map((port, i) => {
    if (port.hostPort !== undefined && port.hostPort !== 0)
      refuse(`${path}.ports[${i}].hostPort`, 'there is no host port to bind');
    if (port.hostIP) refuse(`${path}.ports[${i}].hostIP`, 'there is no host address to bind');
    const protocol = (port.protocol ?? 'TCP').toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp')
      refuse(`${path}.ports[${i}].protocol`, `${port.protocol} is not offered`);
    return { containerPort: port.containerPort, protocol, ...(port.name ? { name: port.name } : {}) };
  });

  const mountPoints = (container.volumeMounts ?? [])
    .filter(mount => !context.volumes.skipped.has(mount.name))
    .map((mount, i) => {
      if (mount.subPath || mount.subPathExpr)
        refuse(`${path}.volumeMounts[${i}].subPath`, 'sub-paths cannot be mounted');
      return { sourceVolume: mount.name, containerPath: mount.mountPath, readOnly: mount.readOnly ?? false };
    });

  const user =
    security?.runAsUser !== undefined
      ? `${security.runAsUser}${security.runAsGroup !== undefined ? `:${security.runAsGroup}` : ''}`
      : undefined;

  return {
    name: container.name,
    image: container.image,
    // Kubernetes `command` replaces the image ENTRYPOINT and `args` its CMD; ECS names them the Docker way.
    ...(container.command ? { entryPoint: container.command } : {}),
    ...(container.args ? { command: container.args } : {}),
    ...(container.workingDir ? { workingDirectory: container.workingDir } : {}),
    environment: (container.env ?? []).map(env => ({ name: env.name, value: env.value ?? '' })),
    essential: !init,
    ...(dependsOnFor(container.name, init, context.initNames) ?? {}),
    ...(cpu > 0 ? { cpu } : {}),
    ...(memoryLimit !== undefined ? { memory: memoryLimit } : {}),
    ...(memoryReservation !== undefined ? { memoryReservation } : {}),
    ...(portMappings.length > 0 ? { portMappings } : {}),
    ...(mountPoints.length > 0 ? { mountPoints } : {}),
    ...(user ? { user } : {}),
    ...(security?.readOnlyRootFilesystem ? { readonlyRootFilesystem: true } : {}),
    ...(added.length > 0 || dropped.length > 0
      ? { linuxParameters: { capabilities: { add: added, drop: dropped } } }
      : {}),
    ...(container.stdin ? { interactive: true } : {}),
    ...(container.tty ? { pseudoTerminal: true } : {}),
    ...(context.settings.logGroup
      ? {
          logConfiguration: {
            logDriver: 'awslogs' as const,
            options: {
              'awslogs-group': context.settings.logGroup,
              'awslogs-region': context.settings.region,
              'awslogs-stream-prefix': context.settings.logStreamPrefix,
            },
          },
        }
      : {}),
  };
}

/**
 * Init containers run one after another before the app containers, as in Kubernetes: each waits for
 * the previous one to exit successfully (ECS dependsOn SUCCESS), and every app container waits for
 * the last one.
 */
function dependsOnFor(
  name: string,
  init: boolean,
  initNames: string[],
): { dependsOn: ContainerDependency[] } | undefined {
  const previous = init ? initNames[initNames.indexOf(name) - 1] : initNames.at(-1);
  return previous ? { dependsOn: [{ containerName: previous, condition: 'SUCCESS' }] } : undefined;
}

function quantityOf(
  resources: V1ResourceRequirements | undefined,
  name: string,
  path: string,
  from?: 'limits' | 'requests',
): number {
  const sources = from ? [from] : (['limits', 'requests'] as const);
  for (const source of sources) {
    const value = resources?.[source]?.[name];
    if (value === undefined) continue;
    try {
      return parseQuantity(value);
    } catch {
      throw new InvalidInputError(`${path}.resources.${source}.${name}: invalid quantity "${value}"`);
    }
  }
  return 0;
}

function checkResourceNames(resources: V1ResourceRequirements | undefined, path: string): void {
  for (const source of ['limits', 'requests'] as const) {
    for (const name of Object.keys(resources?.[source] ?? {})) {
      if (!SIZED_RESOURCES.has(name))
        refuse(
          `${path}.resources.${source}.${name}`,
          'only cpu, memory and ephemeral-storage can be provided',
        );
    }
  }
}

/** Rounds up, ignoring floating-point noise ("0.1" cores is 102.4 units, not 102.40000000000001). */
function ceilUnits(value: number): number {
  return Math.max(0, Math.ceil(value - 1e-9));
}

/** ECS CPU units (1024 per core) and MiB a container asks for: its limit, else its request. */
export function containerSize(resources: V1ResourceRequirements | undefined, path = 'container'): TaskSize {
  checkResourceNames(resources, path);
  const cores = quantityOf(resources, 'cpu', path);
  const bytes = quantityOf(resources, 'memory', path);
  return { cpu: ceilUnits(cores * 1024), memory: ceilUnits(bytes / MiB) };
}

function containerDefinitionSize(resources: V1ResourceRequirements | undefined, path: string) {
  const { cpu } = containerSize(resources, path);
  const limit = quantityOf(resources, 'memory', path, 'limits');
  const request = quantityOf(resources, 'memory', path, 'requests');
  return {
    cpu,
    memoryLimit: limit > 0 ? Math.ceil(limit / MiB) : undefined,
    memoryReservation: request > 0 ? Math.ceil(request / MiB) : undefined,
  };
}
