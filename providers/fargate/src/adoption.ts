import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  paginateListTasks,
  type ECSClient,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { V1Container, V1Pod } from '@kubernetes/client-node';

import { identityFromTags, type PodIdentity } from './identity.js';

/** ECS accepts at most this many tasks per DescribeTasks call. */
export const DESCRIBE_BATCH = 100;

/** DescribeTasks for any number of tasks, 100 per call; returns the tasks found and the ARNs missing. */
export async function describeTasks(
  ecs: ECSClient,
  cluster: string,
  arns: readonly string[],
  signal?: AbortSignal,
): Promise<{ tasks: Task[]; missing: string[] }> {
  const tasks: Task[] = [];
  const missing: string[] = [];
  for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
    const batch = arns.slice(i, i + DESCRIBE_BATCH);
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: batch, include: ['TAGS'] }), {
      abortSignal: signal,
    });
    tasks.push(...(out.tasks ?? []));
    for (const failure of out.failures ?? []) if (failure.arn) missing.push(failure.arn);
  }
  return { tasks, missing };
}

/** ARNs of the cluster's tasks with a desired status, all pages. */
export async function listTaskArns(
  ecs: ECSClient,
  cluster: string,
  desiredStatus: 'RUNNING' | 'STOPPED',
  startedBy?: string,
): Promise<string[]> {
  const arns: string[] = [];
  const input = {
    cluster,
    desiredStatus,
    launchType: 'FARGATE' as const,
    ...(startedBy ? { startedBy } : {}),
  };
  for await (const page of paginateListTasks({ client: ecs }, input)) arns.push(...(page.taskArns ?? []));
  return arns;
}

/** A task this node started, with the pod it belongs to, found at start-up. */
export interface AdoptedTask {
  identity: PodIdentity;
  task: Task;
  pod: V1Pod;
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
 * Every task of this node still worth knowing about: running ones, and stopped ones whose task
 * definition is still registered (a pod that ended while the agent was away; a pod this provider
 * deleted has its definition deregistered, so it is not brought back).
 */
export async function findNodeTasks(
  ecs: ECSClient,
  cluster: string,
  nodeName: string,
): Promise<AdoptedTask[]> {
  const running = await listTaskArns(ecs, cluster, 'RUNNING');
  const stopped = await listTaskArns(ecs, cluster, 'STOPPED');
  const { tasks } = await describeTasks(ecs, cluster, [...new Set([...running, ...stopped])]);
  const adopted: AdoptedTask[] = [];
  const definitions = new Map<string, TaskDefinition | undefined>();
  for (const task of tasks) {
    const identity = identityFromTags(task.tags, nodeName);
    if (!identity || !task.taskDefinitionArn) continue;
    if (!definitions.has(task.taskDefinitionArn)) {
      const out = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: task.taskDefinitionArn }),
      );
      definitions.set(task.taskDefinitionArn, out.taskDefinition);
    }
    const definition = definitions.get(task.taskDefinitionArn);
    if (task.desiredStatus === 'STOPPED' && definition?.status !== 'ACTIVE') continue;
    adopted.push({ identity, task, pod: podFromTask(identity, nodeName, definition) });
  }
  return adopted;
}
