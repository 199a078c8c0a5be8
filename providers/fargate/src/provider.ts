import type { V1Node } from '@kubernetes/client-node';
import {
  InvalidInputError,
  NotFoundError,
  ProviderRuntime,
  TransientError,
  type CallOptions,
  type ContainerLogOptions,
  type LogItem,
  type PodRef,
  advertiseNode,
} from '@vkubelet/provider-kit';

import { callLogs } from './aws.js';
import { EcsBackend, type EcsBackendOptions } from './backend.js';
import { readContainerLogs } from './logs.js';
import type { TaskState } from './status.js';

export type FargateProviderOptions = EcsBackendOptions;

/**
 * Pods as ECS tasks on Fargate (see EcsBackend), on the provider runtime: every known task is
 * described in one batch per 100 tasks every `statusIntervalMs`, and status changes are pushed through
 * notifyPods. Exec, attach, port-forward and stats are absent: ECS only offers exec through SSM
 * sessions (ExecuteCommand), which speak a different protocol, and Fargate gives the agent no metrics.
 */
export class FargateProvider extends ProviderRuntime<TaskState> {
  /** Present only when a log group is configured; without it core answers 501 for logs. */
  readonly getContainerLogs?: (
    pod: PodRef,
    container: string,
    options: ContainerLogOptions & CallOptions,
  ) => Promise<AsyncIterable<LogItem>>;
  private readonly ecsBackend: EcsBackend;

  private constructor(private readonly options: FargateProviderOptions) {
    const backend = new EcsBackend(options);
    super({
      backend,
      logger: options.logger,
      refresh: { intervalMs: options.config.statusIntervalMs, batchSize: 100 },
    });
    this.ecsBackend = backend;
    const logGroup = options.config.logGroup;
    if (logGroup) {
      this.getContainerLogs = (pod, container, callOptions) =>
        this.containerLogs(logGroup, pod, container, callOptions);
    }
  }

  /** Checks (or creates) the cluster, adopts the tasks an earlier process started, starts the status loop. */
  static async create(options: FargateProviderOptions): Promise<FargateProvider> {
    const provider = new FargateProvider(options);
    try {
      await provider.ecsBackend.ensureCluster();
      await provider.start();
    } catch (err) {
      await provider.close();
      throw err;
    }
    return provider;
  }

  configureNode(node: V1Node): void {
    advertiseNode(node, { capacity: this.options.config.capacity, labels: { 'kubernetes.io/os': 'linux' } });
  }

  async ping(options: CallOptions): Promise<void> {
    if (!(await this.ecsBackend.clusterActive(options.signal)))
      throw new TransientError(`ECS cluster ${this.options.config.cluster} is not active`);
  }

  private async containerLogs(
    logGroup: string,
    ref: PodRef,
    container: string,
    options: ContainerLogOptions & CallOptions,
  ): Promise<AsyncIterable<LogItem>> {
    const record = this.pods.require(ref);
    const spec = record.pod.spec;
    if (![...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].some(c => c.name === container))
      throw new NotFoundError(`container ${container} is not in pod ${ref.namespace}/${ref.name}`);
    if (options.previous)
      throw new InvalidInputError(
        'previous: Fargate tasks never restart a container, so there is no previous instance',
      );
    const taskId = record.state.task.taskArn?.split('/').at(-1) ?? '';
    return readContainerLogs({
      client: this.options.clients.logs,
      call: callLogs,
      logGroup,
      logStream: `${this.options.config.logStreamPrefix}/${container}/${taskId}`,
      options,
      pollIntervalMs: Math.min(this.options.config.statusIntervalMs, 1_000),
      taskEnded: () =>
        this.pods.get(record.uid)?.state.task.lastStatus === 'STOPPED' || !this.pods.get(record.uid),
    });
  }
}
