import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  paginateListTasks,
  type ECSClient,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { BackendCaller, PodIdentity } from '@vkubelet/provider-kit';

import { identityFromTags } from './identity.js';

/** ECS accepts at most this many tasks per DescribeTasks call. */
export const DESCRIBE_BATCH = 100;

/** The ECS client of a cluster, with the provider's door for every request. */
export interface EcsAccess {
  ecs: ECSClient;
  cluster: string;
  call: BackendCaller;
}

/** DescribeTasks for any number of tasks, 100 per call; returns the tasks found and the ARNs missing. */
export async function describeTasks(
  { ecs, cluster, call }: EcsAccess,
  arns: readonly string[],
  signal?: AbortSignal,
): Promise<{ tasks: Task[]; missing: string[] }> {
  const tasks: Task[] = [];
  const missing: string[] = [];
  for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
    const batch = arns.slice(i, i + DESCRIBE_BATCH);
    const out = await call('DescribeTasks', () =>
      ecs.send(new DescribeTasksCommand({ cluster, tasks: batch, include: ['TAGS'] }), {
        abortSignal: signal,
      }),
    );
    tasks.push(...(out.tasks ?? []));
    for (const failure of out.failures ?? []) if (failure.arn) missing.push(failure.arn);
  }
  return { tasks, missing };
}

/** ARNs of the cluster's tasks with a desired status, all pages. */
export async function listTaskArns(
  { ecs, cluster, call }: EcsAccess,
  desiredStatus: 'RUNNING' | 'STOPPED',
  startedBy?: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const input = {
    cluster,
    desiredStatus,
    launchType: 'FARGATE' as const,
    ...(startedBy ? { startedBy } : {}),
  };
  return call('ListTasks', async () => {
    const arns: string[] = [];
    for await (const page of paginateListTasks(
      { client: ecs, ...(signal ? { abortSignal: signal } : {}) },
      input,
    ))
      arns.push(...(page.taskArns ?? []));
    return arns;
  });
}

/**
 * The pod a task was started for, rebuilt from its tags and task definition: enough for core to
 * match it against the API server (namespace, name, UID) and to show its containers.
 */
export function podFromTask(
  identity: PodIdentity,
  nodeName: string,
  definition: TaskDefinition | undefined,
): V1Pod {
  const toContainer = (c: NonNullable<TaskDefinition['containerDefinitions']>[number]): V1Container => ({
    name: c.name ?? 'unknown',
    image: c.image ?? '',
    ...(c.entryPoint ? { command: c.entryPoint } : {}),
    ...(c.command ? { args: c.command } : {}),
    ...(c.workingDirectory ? { workingDir: c.workingDirectory } : {}),
    env: (c.environment ?? []).map(e => ({ name: e.name ?? '', value: e.value ?? '' })),
  });
  const defs = definition?.containerDefinitions ?? [];
  const initContainers = defs.filter(c => c.essential === false).map(toContainer);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: identity.namespace, name: identity.name, uid: identity.uid },
    spec: {
      nodeName,
      containers: defs.filter(c => c.essential !== false).map(toContainer),
      ...(initContainers.length > 0 ? { initContainers } : {}),
    },
  };
}

/**
 * Every task of this node still worth knowing about, with its pod: running ones, and stopped ones
 * whose task definition is still registered (a pod that ended while the agent was away; a pod this
 * provider deleted has its definition deregistered, so it is not brought back).
 */
export async function findNodeTasks(
  access: EcsAccess,
  nodeName: string,
  signal?: AbortSignal,
): Promise<Array<{ task: Task; pod: V1Pod }>> {
  const running = await listTaskArns(access, 'RUNNING', undefined, signal);
  const stopped = await listTaskArns(access, 'STOPPED', undefined, signal);
  const { tasks } = await describeTasks(access, [...new Set([...running, ...stopped])], signal);
  const adopted: Array<{ task: Task; pod: V1Pod }> = [];
  const definitions = new Map<string, TaskDefinition | undefined>();
  for (const task of tasks) {
    const identity = identityFromTags(task.tags, nodeName);
    const arn = task.taskDefinitionArn;
    if (!identity || !arn) continue;
    if (!definitions.has(arn)) {
      const out = await access.call('DescribeTaskDefinition', () =>
        access.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }), { abortSignal: signal }),
      );
      definitions.set(arn, out.taskDefinition);
    }
    const definition = definitions.get(arn);
    if (task.desiredStatus === 'STOPPED' && definition?.status !== 'ACTIVE') continue;
    adopted.push({ task, pod: podFromTask(identity, nodeName, definition) });
  }
  return adopted;
}
