import type { V1Container, V1Pod } from '@kubernetes/client-node';

import type { Allocation, NomadNode, Task, TaskGroup } from '../api/types.js';

/*
 * An allocation as the mock's process model runs it: one pod per allocation, a container per task.
 * Prestart tasks that are not sidecars become init containers (run one by one, in the group's order,
 * before the main tasks, as Nomad runs them); every other task is an app container. The driver config
 * gives the command: docker's image/entrypoint/command/args, raw_exec's and exec's command/args.
 */

/** Drivers the emulated clients offer (a job asking for another fails placement, "missing drivers"). */
export const EMULATED_DRIVERS = ['docker', 'raw_exec', 'exec'] as const;

export function isPrestartTask(task: Task): boolean {
  return task.Lifecycle?.Hook === 'prestart' && task.Lifecycle.Sidecar !== true;
}

export function isSidecarTask(task: Task): boolean {
  return task.Lifecycle?.Sidecar === true;
}

/** Tasks without a lifecycle hook: the alloc lives as long as they run. */
export function isMainTask(task: Task): boolean {
  return !task.Lifecycle;
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map(item => String(item));
}

/** The task's command line from its driver config; throws the driver's complaint when it has none. */
export function taskCommand(task: Task): { command?: string[]; args?: string[]; image: string } {
  const config = task.Config ?? {};
  const command =
    typeof config['command'] === 'string' && config['command'] !== '' ? config['command'] : undefined;
  const args = stringList(config['args']);
  if (task.Driver === 'docker') {
    const image = typeof config['image'] === 'string' ? config['image'] : '';
    if (image === '') throw new Error('failed to create container configuration: image is required');
    const entrypoint = stringList(config['entrypoint']);
    if (entrypoint && entrypoint.length > 0) {
      return { image, command: entrypoint, args: [...(command ? [command] : []), ...(args ?? [])] };
    }
    return { image, ...(command ? { command: [command] } : {}), ...(args ? { args } : {}) };
  }
  if (!command) throw new Error('failed to launch command: missing command');
  return { image: `${task.Driver}://${command}`, command: [command], ...(args ? { args } : {}) };
}

/** Nomad's task environment: NOMAD_* variables, then the task's own env (which may refer to them). */
export function taskEnvironment(
  alloc: Allocation,
  group: TaskGroup,
  task: Task,
  node: NomadNode,
  ip: string,
): Record<string, string> {
  const index = /\[(\d+)\]$/.exec(alloc.Name)?.[1] ?? '0';
  const env: Record<string, string> = {
    NOMAD_ALLOC_DIR: '/alloc',
    NOMAD_TASK_DIR: '/local',
    NOMAD_SECRETS_DIR: '/secrets',
    NOMAD_ALLOC_ID: alloc.ID,
    NOMAD_SHORT_ALLOC_ID: alloc.ID.slice(0, 8),
    NOMAD_ALLOC_NAME: alloc.Name,
    NOMAD_ALLOC_INDEX: index,
    NOMAD_TASK_NAME: task.Name,
    NOMAD_GROUP_NAME: group.Name,
    NOMAD_JOB_ID: alloc.Job.ID,
    NOMAD_JOB_NAME: alloc.Job.Name,
    NOMAD_NAMESPACE: alloc.Namespace,
    NOMAD_REGION: alloc.Job.Region,
    NOMAD_DC: node.Datacenter,
    NOMAD_CPU_LIMIT: String(task.Resources?.CPU ?? 0),
    NOMAD_MEMORY_LIMIT: String(task.Resources?.MemoryMB ?? 0),
  };
  for (const port of alloc.AllocatedResources.Shared.Ports ?? []) {
    const label = port.Label.replace(/[^A-Za-z0-9_]/g, '_');
    env[`NOMAD_IP_${label}`] = ip;
    env[`NOMAD_PORT_${label}`] = String(port.To > 0 ? port.To : port.Value);
    env[`NOMAD_ADDR_${label}`] = `${ip}:${port.Value}`;
    env[`NOMAD_HOST_PORT_${label}`] = String(port.Value);
    env[`NOMAD_HOST_IP_${label}`] = port.HostIP;
  }
  for (const meta of [alloc.Job.Meta, group.Meta, task.Meta]) {
    for (const [key, value] of Object.entries(meta ?? {})) {
      env[`NOMAD_META_${key.replace(/[^A-Za-z0-9_]/g, '_')}`] = value;
    }
  }
  for (const [key, value] of Object.entries(task.Env ?? {})) env[key] = interpolate(value, env, node);
  return env;
}

/** Nomad's `${NOMAD_...}`, `${env["X"]}` and `${node.*}` interpolation, for what tasks commonly use. */
export function interpolate(text: string, env: Record<string, string>, node: NomadNode): string {
  return text.replace(/\$\{([^}]+)\}/g, (whole, expression: string) => {
    const key = /^env\["([^"]+)"\]$/.exec(expression)?.[1] ?? expression;
    if (key in env) return env[key]!;
    if (key === 'node.datacenter') return node.Datacenter;
    if (key === 'node.unique.name') return node.Name;
    if (key === 'node.unique.id') return node.ID;
    if (key === 'node.pool') return node.NodePool;
    if (key === 'node.class') return node.NodeClass;
    if (key.startsWith('attr.')) return node.Attributes[key.slice(5)] ?? whole;
    if (key.startsWith('meta.')) return node.Meta[key.slice(5)] ?? whole;
    return whole;
  });
}

/** The pod an allocation runs as; `taskEnv` gives each task's environment. */
export function allocationPod(
  alloc: Allocation,
  group: TaskGroup,
  containerFor: (task: Task) => V1Container,
): V1Pod {
  const runnable = group.Tasks.filter(task => task.Lifecycle?.Hook !== 'poststop');
  return {
    metadata: { name: alloc.Name, namespace: alloc.Namespace, uid: alloc.ID },
    spec: {
      restartPolicy: 'Always',
      initContainers: runnable.filter(isPrestartTask).map(containerFor),
      containers: runnable.filter(task => !isPrestartTask(task)).map(containerFor),
    },
  };
}

export function taskContainer(task: Task, env: Record<string, string>, node: NomadNode): V1Container {
  const { image, command, args } = taskCommand(task);
  return {
    name: task.Name,
    image,
    ...(command ? { command: command.map(word => interpolate(word, env, node)) } : {}),
    ...(args ? { args: args.map(word => interpolate(word, env, node)) } : {}),
    env: Object.entries(env).map(([name, value]) => ({ name, value })),
  };
}
