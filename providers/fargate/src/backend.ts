import {
  CreateClusterCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import type { V1Pod } from '@kubernetes/client-node';
import {
  errorMessage,
  isNotFound,
  podIdentity,
  TransientError,
  type BackendCaller,
  type CallOptions,
  type Logger,
  type PodBackend,
  type PodObservation,
  type TrackedPod,
} from '@vkubelet/provider-kit';

import { describeTasks, findNodeTasks, listTaskArns, type EcsAccess } from './adoption.js';
import { callEcs, type AwsClients } from './aws.js';
import type { FargateConfig } from './config.js';
import { podTags } from './identity.js';
import { observeTask, type TaskState } from './status.js';
import { buildTaskDefinition } from './task-definition.js';

export interface EcsBackendOptions {
  config: FargateConfig;
  clients: AwsClients;
  nodeName: string;
  region: string;
  logger: Logger;
}

/**
 * Pods as ECS tasks on Fargate: one task definition family per pod, one task per pod UID
 * (`startedBy` and `clientToken`), tags naming the pod and the node. Every ECS request goes through
 * `call`.
 */
export class EcsBackend implements PodBackend<TaskState> {
  private readonly call: BackendCaller = callEcs;
  private readonly ecs: ECSClient;
  private readonly access: EcsAccess;

  constructor(private readonly options: EcsBackendOptions) {
    this.ecs = options.clients.ecs;
    this.access = { ecs: this.ecs, cluster: options.config.cluster, call: this.call };
  }

  /** Checks the cluster is active, creating it when the config allows. */
  async ensureCluster(): Promise<void> {
    const { cluster, createCluster } = this.options.config;
    const out = await this.call('DescribeClusters', async () => {
      try {
        return await this.ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
      } catch (err) {
        if ((err as Error).name === 'ClusterNotFoundException') return { clusters: [] };
        throw err;
      }
    });
    if (out.clusters?.some(c => c.status === 'ACTIVE')) return;
    if (!createCluster) {
      throw new Error(
        `ECS cluster "${cluster}" does not exist; create it or set createCluster: true in the config`,
      );
    }
    await this.call('CreateCluster', () => this.ecs.send(new CreateClusterCommand({ clusterName: cluster })));
    this.options.logger.info('created ECS cluster', { cluster });
  }

  /** Whether the cluster is active (the node's health). */
  async clusterActive(signal: AbortSignal): Promise<boolean> {
    const out = await this.call('DescribeClusters', () =>
      this.ecs.send(new DescribeClustersCommand({ clusters: [this.options.config.cluster] }), {
        abortSignal: signal,
      }),
    );
    return out.clusters?.some(c => c.status === 'ACTIVE') ?? false;
  }

  async create(pod: V1Pod, { signal }: CallOptions): Promise<TaskState> {
    const identity = podIdentity(pod);
    const { config, nodeName, region } = this.options;
    // Validate before any AWS call, so an unsupported pod leaves nothing behind.
    const definition = buildTaskDefinition(pod, { ...config, nodeName, region });
    const registered = await this.call('RegisterTaskDefinition', () =>
      this.ecs.send(new RegisterTaskDefinitionCommand(definition), { abortSignal: signal }),
    );
    const taskDefinitionArn = registered.taskDefinition?.taskDefinitionArn;
    if (!taskDefinitionArn)
      throw new TransientError(`RegisterTaskDefinition ${definition.family} returned no ARN`);
    try {
      const out = await this.call('RunTask', () =>
        this.ecs.send(
          new RunTaskCommand({
            cluster: config.cluster,
            taskDefinition: taskDefinitionArn,
            count: 1,
            launchType: 'FARGATE',
            platformVersion: config.platformVersion,
            startedBy: identity.uid,
            // ECS returns the same task for a repeated token, which covers a retry after a lost answer.
            clientToken: identity.uid,
            tags: podTags(identity, nodeName),
            networkConfiguration: {
              awsvpcConfiguration: {
                subnets: config.subnets,
                securityGroups: config.securityGroups,
                assignPublicIp: config.assignPublicIp ? 'ENABLED' : 'DISABLED',
              },
            },
          }),
          { abortSignal: signal },
        ),
      );
      const task = out.tasks?.[0];
      if (!task?.taskArn) {
        const failure = out.failures?.[0];
        throw new TransientError(
          `RunTask failed: ${failure?.reason ?? 'no task'} ${failure?.detail ?? ''}`.trim(),
        );
      }
      return { task: { ...task, taskDefinitionArn }, firstSeen: new Date() };
    } catch (err) {
      await this.deregister(taskDefinitionArn);
      throw err;
    }
  }

  /** A task already started for this UID (running first, else the latest stopped one). */
  async find(pod: V1Pod, { signal }: CallOptions): Promise<TaskState | undefined> {
    const { uid } = podIdentity(pod);
    const arns = [
      ...(await listTaskArns(this.access, 'RUNNING', uid, signal)),
      ...(await listTaskArns(this.access, 'STOPPED', uid, signal)),
    ];
    if (arns.length === 0) return undefined;
    const { tasks } = await describeTasks(this.access, arns, signal);
    const task = tasks.find(t => t.desiredStatus === 'RUNNING') ?? tasks[0];
    return task?.taskArn ? { task, firstSeen: new Date() } : undefined;
  }

  async delete(record: TrackedPod<TaskState>, { signal }: CallOptions): Promise<TaskState | null> {
    const { task } = record.state;
    let stopped: Task | undefined;
    try {
      const out = await this.call('StopTask', () =>
        this.ecs.send(
          new StopTaskCommand({
            cluster: this.options.config.cluster,
            task: task.taskArn,
            reason: `Pod ${record.namespace}/${record.name} deleted by ${this.options.nodeName}`,
          }),
          { abortSignal: signal },
        ),
      );
      stopped = out.task;
    } catch (err) {
      // A task ECS no longer knows is as stopped as it gets.
      if (!isNotFound(err) && !/not found|could not find/i.test(errorMessage(err))) throw err;
    }
    if (task.taskDefinitionArn) await this.deregister(task.taskDefinitionArn);
    return stopped ? this.next(record.state, stopped) : null;
  }

  /** DescribeTasks for a batch (the runtime's batch size is ECS's limit of 100). */
  async refresh(
    records: readonly TrackedPod<TaskState>[],
    { signal }: CallOptions,
  ): Promise<Map<string, TaskState | null>> {
    const arns = records.map(record => record.state.task.taskArn ?? '');
    const { tasks, missing } = await describeTasks(this.access, arns, signal);
    const byArn = new Map(tasks.map(task => [task.taskArn, task]));
    const gone = new Set(missing);
    const states = new Map<string, TaskState | null>();
    for (const record of records) {
      const arn = record.state.task.taskArn;
      const task = byArn.get(arn);
      if (task) states.set(record.uid, this.next(record.state, task));
      else if (gone.has(arn ?? '')) states.set(record.uid, null);
    }
    return states;
  }

  async list({ signal }: CallOptions): Promise<Array<{ pod: V1Pod; state: TaskState }>> {
    const found = await findNodeTasks(this.access, this.options.nodeName, signal);
    const now = new Date();
    return found.map(({ task, pod }) => ({ pod, state: { task, firstSeen: now } }));
  }

  observe(record: TrackedPod<TaskState>): PodObservation {
    return observeTask(record.pod, record.state);
  }

  close(): void {
    this.options.clients.ecs.destroy();
    this.options.clients.logs.destroy();
  }

  /** A newer description of a task, keeping when it was first seen (and first seen stopped). */
  private next(previous: TaskState, task: Task): TaskState {
    const stoppedSeen = previous.stoppedSeen ?? (task.lastStatus === 'STOPPED' ? new Date() : undefined);
    return {
      task: { ...task, taskDefinitionArn: task.taskDefinitionArn ?? previous.task.taskDefinitionArn },
      firstSeen: previous.firstSeen,
      ...(stoppedSeen ? { stoppedSeen } : {}),
    };
  }

  private async deregister(taskDefinitionArn: string): Promise<void> {
    try {
      await this.call('DeregisterTaskDefinition', () =>
        this.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: taskDefinitionArn })),
      );
    } catch (err) {
      // A leftover definition costs nothing and blocks nothing; the task is what matters.
      this.options.logger.warn('could not deregister task definition', {
        taskDefinitionArn,
        error: errorMessage(err),
      });
    }
  }
}
