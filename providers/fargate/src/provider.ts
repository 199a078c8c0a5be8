import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
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
import type { V1Node, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import {
  InvalidInputError,
  NotFoundError,
  TransientError,
  type CallOptions,
  type ContainerLogOptions,
  type LogItem,
  type Logger,
  type PodRef,
  type Provider,
} from '@vkubelet/provider-kit';

import { describeTasks, findNodeTasks, listTaskArns } from './adoption.js';
import { toProviderError, type AwsClients } from './aws.js';
import type { FargateConfig } from './config.js';
import { identityOf, podKey, podTags, type PodIdentity } from './identity.js';
import { readContainerLogs } from './logs.js';
import { podStatusFromTask } from './status.js';
import { buildTaskDefinition } from './task-definition.js';

/** A pod this node runs as an ECS task. */
interface TrackedPod {
  identity: PodIdentity;
  pod: V1Pod;
  taskArn: string;
  taskDefinitionArn?: string | undefined;
  task?: Task | undefined;
  /** When this process first saw the task (start time when ECS reports none). */
  firstSeen: Date;
  /** When this process first saw the task STOPPED (finish time when ECS reports none). */
  stoppedSeen?: Date;
  /** deletePod was called: the task is stopping and is forgotten once it reports STOPPED. */
  deleting: boolean;
  /** JSON of the last status pushed, to notify only on change. */
  reported?: string;
}

export interface FargateProviderOptions {
  config: FargateConfig;
  clients: AwsClients;
  nodeName: string;
  region: string;
  logger: Logger;
}

/**
 * Pods as ECS tasks on Fargate. One task definition family per pod, one task per pod UID; all known
 * tasks are described in one loop and status changes pushed through notifyPods. Exec, attach,
 * port-forward and stats are absent: ECS only offers exec through SSM sessions (ExecuteCommand),
 * which speak a different protocol, and Fargate exposes no metrics endpoint to the agent.
 */
export class FargateProvider implements Provider {
  private readonly ecs: ECSClient;
  private readonly logsClient: CloudWatchLogsClient;
  private readonly config: FargateConfig;
  private readonly nodeName: string;
  private readonly region: string;
  private readonly logger: Logger;
  private readonly pods = new Map<string, TrackedPod>();
  private readonly creating = new Map<string, Promise<void>>();
  private notify: ((pod: V1Pod) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private polling: Promise<void> | undefined;

  /** Present only when a log group is configured; without it core answers 501 for logs. */
  readonly getContainerLogs?: (
    pod: PodRef,
    container: string,
    options: ContainerLogOptions & CallOptions,
  ) => Promise<AsyncIterable<LogItem>>;

  private constructor(options: FargateProviderOptions) {
    this.ecs = options.clients.ecs;
    this.logsClient = options.clients.logs;
    this.config = options.config;
    this.nodeName = options.nodeName;
    this.region = options.region;
    this.logger = options.logger;
    const logGroup = options.config.logGroup;
    if (logGroup) {
      this.getContainerLogs = (pod, container, callOptions) =>
        this.containerLogs(logGroup, pod, container, callOptions);
    }
  }

  /** Checks (or creates) the cluster, adopts the tasks an earlier process started, starts the status loop. */
  static async start(options: FargateProviderOptions): Promise<FargateProvider> {
    const provider = new FargateProvider(options);
    await provider.ensureCluster();
    await provider.adoptTasks();
    provider.schedulePoll();
    return provider;
  }

  private async ensureCluster(): Promise<void> {
    const { cluster, createCluster } = this.config;
    let active = false;
    try {
      const out = await this.ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
      active = out.clusters?.some(c => c.status === 'ACTIVE') ?? false;
    } catch (err) {
      if ((err as Error).name !== 'ClusterNotFoundException')
        throw toProviderError(err, `DescribeClusters ${cluster}`);
    }
    if (active) return;
    if (!createCluster) {
      throw new Error(
        `ECS cluster "${cluster}" does not exist; create it or set createCluster: true in the config`,
      );
    }
    await this.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    this.logger.info('created ECS cluster', { cluster });
  }

  private async adoptTasks(): Promise<void> {
    const adopted = await findNodeTasks(this.ecs, this.config.cluster, this.nodeName);
    for (const { identity, task, pod } of adopted) {
      if (!task.taskArn) continue;
      const tracked: TrackedPod = {
        identity,
        pod,
        taskArn: task.taskArn,
        taskDefinitionArn: task.taskDefinitionArn,
        task,
        deleting: false,
        firstSeen: new Date(),
      };
      this.pods.set(podKey(identity.namespace, identity.name), tracked);
    }
    if (adopted.length > 0) this.logger.info('adopted tasks from an earlier run', { count: adopted.length });
  }

  async createPod(pod: V1Pod, options: CallOptions): Promise<void> {
    const identity = identityOf(pod);
    // Concurrent creates of one pod share one attempt: both would otherwise find no task and run one each.
    const inFlight = this.creating.get(identity.uid);
    if (inFlight) return inFlight;
    const attempt = this.startPod(pod, identity, options).finally(() => this.creating.delete(identity.uid));
    this.creating.set(identity.uid, attempt);
    return attempt;
  }

  private async startPod(pod: V1Pod, identity: PodIdentity, options: CallOptions): Promise<void> {
    const key = podKey(identity.namespace, identity.name);
    const known = this.pods.get(key);
    if (known?.identity.uid === identity.uid) return;
    if (known && !known.deleting) {
      throw new TransientError(`${key}: a pod with UID ${known.identity.uid} still runs under this name`);
    }
    // Validate before any AWS call, so an unsupported pod leaves nothing behind.
    const definition = buildTaskDefinition(pod, {
      ...this.config,
      nodeName: this.nodeName,
      region: this.region,
    });

    // A retry, or a process that died between RunTask and recording the task, finds the task by UID.
    const existing = await this.findTaskByUid(identity.uid, options.signal);
    if (existing?.taskArn) {
      this.track(identity, pod, existing);
      return;
    }

    const registered = await this.call(`RegisterTaskDefinition ${definition.family}`, () =>
      this.ecs.send(new RegisterTaskDefinitionCommand(definition), { abortSignal: options.signal }),
    );
    const taskDefinitionArn = registered.taskDefinition?.taskDefinitionArn;
    if (!taskDefinitionArn)
      throw new TransientError(`RegisterTaskDefinition ${definition.family} returned no ARN`);

    let task: Task | undefined;
    try {
      const out = await this.call(`RunTask ${key}`, () =>
        this.ecs.send(
          new RunTaskCommand({
            cluster: this.config.cluster,
            taskDefinition: taskDefinitionArn,
            count: 1,
            launchType: 'FARGATE',
            platformVersion: this.config.platformVersion,
            startedBy: identity.uid,
            // ECS returns the same task for a repeated token, which covers a retry after a lost answer.
            clientToken: identity.uid,
            tags: podTags(identity, this.nodeName),
            networkConfiguration: {
              awsvpcConfiguration: {
                subnets: this.config.subnets,
                securityGroups: this.config.securityGroups,
                assignPublicIp: this.config.assignPublicIp ? 'ENABLED' : 'DISABLED',
              },
            },
          }),
          { abortSignal: options.signal },
        ),
      );
      task = out.tasks?.[0];
      if (!task?.taskArn) {
        const failure = out.failures?.[0];
        throw new TransientError(
          `RunTask ${key} failed: ${failure?.reason ?? 'no task'} ${failure?.detail ?? ''}`.trim(),
        );
      }
    } catch (err) {
      await this.deregister(taskDefinitionArn);
      throw err;
    }
    this.track(identity, pod, { ...task, taskDefinitionArn });
  }

  private track(identity: PodIdentity, pod: V1Pod, task: Task): void {
    const tracked: TrackedPod = {
      identity,
      pod: structuredClone(pod),
      taskArn: task.taskArn ?? '',
      taskDefinitionArn: task.taskDefinitionArn,
      task,
      deleting: false,
      firstSeen: new Date(),
    };
    this.pods.set(podKey(identity.namespace, identity.name), tracked);
    this.report(tracked);
  }

  private async findTaskByUid(uid: string, signal: AbortSignal): Promise<Task | undefined> {
    const arns = await this.call('ListTasks', async () => [
      ...(await listTaskArns(this.ecs, this.config.cluster, 'RUNNING', uid)),
      ...(await listTaskArns(this.ecs, this.config.cluster, 'STOPPED', uid)),
    ]);
    if (arns.length === 0) return undefined;
    const { tasks } = await this.call('DescribeTasks', () =>
      describeTasks(this.ecs, this.config.cluster, arns, signal),
    );
    return tasks.find(t => t.desiredStatus === 'RUNNING') ?? tasks[0];
  }

  async updatePod(pod: V1Pod, _options?: CallOptions): Promise<void> {
    // A running ECS task cannot be changed; keep the new metadata so getPod reflects labels and annotations.
    const identity = identityOf(pod);
    const tracked = this.pods.get(podKey(identity.namespace, identity.name));
    if (!tracked || tracked.identity.uid !== identity.uid)
      throw new NotFoundError(`pod ${podKey(identity.namespace, identity.name)} is not running here`);
    tracked.pod = { ...tracked.pod, metadata: structuredClone(pod.metadata) };
    return Promise.resolve();
  }

  async deletePod(pod: V1Pod, options: CallOptions): Promise<void> {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const key = podKey(namespace, name);
    const tracked = this.pods.get(key);
    if (!tracked) throw new NotFoundError(`pod ${key} is not running here`);
    // A stale delete of an earlier pod with this name must not stop its successor's task.
    const uid = pod.metadata?.uid;
    if (uid && uid !== tracked.identity.uid)
      throw new NotFoundError(`pod ${key} with UID ${uid} is not running here`);
    tracked.deleting = true;
    try {
      const out = await this.ecs.send(
        new StopTaskCommand({
          cluster: this.config.cluster,
          task: tracked.taskArn,
          reason: `Pod ${key} deleted by ${this.nodeName}`,
        }),
        { abortSignal: options.signal },
      );
      if (out.task) tracked.task = out.task;
    } catch (err) {
      const converted = toProviderError(err, `StopTask ${key}`);
      // A task ECS no longer knows is as stopped as it gets.
      if (!(converted instanceof NotFoundError) && !/not found|could not find/i.test(converted.message))
        throw converted;
      tracked.task = { ...tracked.task, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' };
    }
    if (tracked.taskDefinitionArn) await this.deregister(tracked.taskDefinitionArn);
    this.report(tracked);
    if (tracked.task?.lastStatus === 'STOPPED') this.forget(key, tracked);
  }

  private async deregister(taskDefinitionArn: string): Promise<void> {
    try {
      await this.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
    } catch (err) {
      // A leftover definition costs nothing and blocks nothing; the task is what matters.
      this.logger.warn('could not deregister task definition', {
        taskDefinitionArn,
        error: (err as Error).message,
      });
    }
  }

  private forget(key: string, tracked: TrackedPod): void {
    if (this.pods.get(key) === tracked) this.pods.delete(key);
  }

  getPod(namespace: string, name: string, _options?: CallOptions): Promise<V1Pod> {
    const tracked = this.pods.get(podKey(namespace, name));
    if (!tracked)
      return Promise.reject(new NotFoundError(`pod ${podKey(namespace, name)} is not running here`));
    return Promise.resolve(this.podWithStatus(tracked));
  }

  async getPodStatus(namespace: string, name: string, _options?: CallOptions): Promise<V1PodStatus> {
    const pod = await this.getPod(namespace, name);
    return pod.status ?? {};
  }

  getPods(_options?: CallOptions): Promise<V1Pod[]> {
    return Promise.resolve([...this.pods.values()].map(tracked => this.podWithStatus(tracked)));
  }

  notifyPods(callback: (pod: V1Pod) => void): void {
    this.notify = callback;
    // A new listener gets every pod's current status once, whatever earlier listeners were told.
    for (const tracked of this.pods.values()) {
      tracked.reported = undefined;
      this.report(tracked);
    }
  }

  configureNode(node: V1Node): void {
    const { cpu, memory, pods } = this.config.capacity;
    const resources = { cpu, memory, pods };
    node.status = {
      ...node.status,
      capacity: { ...node.status?.capacity, ...resources },
      allocatable: { ...node.status?.allocatable, ...resources },
    };
    node.metadata = { ...node.metadata, labels: { ...node.metadata?.labels, 'kubernetes.io/os': 'linux' } };
  }

  async ping(options: CallOptions): Promise<void> {
    const out = await this.call('DescribeClusters', () =>
      this.ecs.send(new DescribeClustersCommand({ clusters: [this.config.cluster] }), {
        abortSignal: options.signal,
      }),
    );
    if (!out.clusters?.some(c => c.status === 'ACTIVE'))
      throw new TransientError(`ECS cluster ${this.config.cluster} is not active`);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.polling;
    this.ecs.destroy();
    this.logsClient.destroy();
  }

  /** Describes every known task once (100 per call) and pushes the statuses that changed. */
  async refreshStatuses(): Promise<void> {
    const tracked = [...this.pods.entries()];
    if (tracked.length === 0) return;
    const { tasks, missing } = await describeTasks(
      this.ecs,
      this.config.cluster,
      tracked.map(([, t]) => t.taskArn),
    );
    const byArn = new Map(tasks.map(task => [task.taskArn, task]));
    const gone = new Set(missing);
    for (const [key, pod] of tracked) {
      const task = byArn.get(pod.taskArn);
      if (task) pod.task = task;
      else if (gone.has(pod.taskArn))
        pod.task = {
          ...pod.task,
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          stoppedReason: 'Task no longer known to ECS',
        };
      else continue;
      this.report(pod);
      if (pod.deleting && pod.task.lastStatus === 'STOPPED') this.forget(key, pod);
    }
  }

  private schedulePoll(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.polling = this.refreshStatuses()
        .catch((err: unknown) =>
          this.logger.warn('describing tasks failed', { error: (err as Error).message }),
        )
        .finally(() => {
          this.polling = undefined;
          this.schedulePoll();
        });
    }, this.config.statusIntervalMs);
    this.timer.unref();
  }

  private podWithStatus(tracked: TrackedPod): V1Pod {
    const pod = structuredClone(tracked.pod);
    if (tracked.task) {
      if (tracked.task.lastStatus === 'STOPPED') tracked.stoppedSeen ??= new Date();
      pod.status = podStatusFromTask(tracked.pod, tracked.task, tracked);
    }
    return pod;
  }

  private report(tracked: TrackedPod): void {
    const pod = this.podWithStatus(tracked);
    const json = JSON.stringify(pod.status);
    if (json === tracked.reported) return;
    tracked.reported = json;
    try {
      this.notify?.(pod);
    } catch (err) {
      this.logger.warn('pod status callback failed', { error: (err as Error).message });
    }
  }

  private async containerLogs(
    logGroup: string,
    ref: PodRef,
    container: string,
    options: ContainerLogOptions & CallOptions,
  ): Promise<AsyncIterable<LogItem>> {
    const tracked = this.pods.get(podKey(ref.namespace, ref.name));
    if (!tracked) throw new NotFoundError(`pod ${podKey(ref.namespace, ref.name)} is not running here`);
    const names = [...(tracked.pod.spec?.containers ?? []), ...(tracked.pod.spec?.initContainers ?? [])].map(
      c => c.name,
    );
    if (!names.includes(container))
      throw new NotFoundError(`container ${container} is not in pod ${podKey(ref.namespace, ref.name)}`);
    if (options.previous)
      throw new InvalidInputError(
        'previous: Fargate tasks never restart a container, so there is no previous instance',
      );
    const taskId = tracked.taskArn.split('/').at(-1) ?? '';
    return readContainerLogs({
      client: this.logsClient,
      logGroup,
      logStream: `${this.config.logStreamPrefix}/${container}/${taskId}`,
      options,
      pollIntervalMs: Math.min(this.config.statusIntervalMs, 1_000),
      taskEnded: () => this.pods.get(podKey(ref.namespace, ref.name))?.task?.lastStatus === 'STOPPED',
    });
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toProviderError(err, what);
    }
  }
}
