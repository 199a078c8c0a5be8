import type { V1Node } from '@kubernetes/client-node';
import {
  errorMessage,
  InvalidInputError,
  NotFoundError,
  ProviderRuntime,
  type AttachIO,
  type CallOptions,
  type ContainerLogOptions,
  type LogItem,
  type PodRef,
  type ProviderContext,
  type StatsSummary,
  type TrackedPod,
  advertiseNode,
} from '@vkubelet/provider-kit';

import { EciBackend } from './backend.js';
import type { EciClient } from './client/eci-client.js';
import { EciCredentialsError } from './client/errors.js';
import type { DescribeRegionsResponse } from './client/wire.js';
import type { EciConfig } from './config.js';
import { statsSummary } from './stats.js';
import { containerState, type GroupState } from './status/observe.js';
import { EciExec } from './streams/exec.js';
import { readContainerLogs } from './streams/logs.js';

/** Pod annotation: `"false"` runs exec commands as given (an image without `sh`). */
export const EXEC_SENTINEL_ANNOTATION = 'eci.vkubelet.io/exec-sentinel';

export interface EciProviderOptions {
  config: EciConfig;
  client: EciClient;
  context: Pick<ProviderContext, 'nodeName' | 'internalIP' | 'resources' | 'events' | 'logger'>;
}

/**
 * Pods as Alibaba Cloud ECI container groups (see EciBackend), on the provider runtime: groups are
 * read in batches every `statusIntervalMs` and status changes pushed through notifyPods; logs come
 * from DescribeContainerLog, exec from ExecContainerCommand, stats from the groups' metrics. ECI has
 * no attach and no port-forward, so core answers those with 501.
 */
export class EciProvider extends ProviderRuntime<GroupState> {
  private readonly exec: EciExec;
  private readonly startedAt = new Date();

  private constructor(private readonly options: EciProviderOptions) {
    const { config, client, context } = options;
    super({
      backend: new EciBackend({
        client,
        settings: { ...config, nodeName: context.nodeName },
        resources: context.resources,
        events: context.events,
        refreshBySummary: config.refreshBySummary,
        logger: context.logger,
      }),
      hostIP: context.internalIP,
      logger: context.logger,
      // One refresh sees every pod: its summary read covers the whole node.
      refresh: { intervalMs: config.statusIntervalMs, batchSize: Number.MAX_SAFE_INTEGER },
    });
    this.exec = new EciExec(client, config.exec.transport, context.logger);
  }

  /**
   * Checks the endpoint, the credentials and the region with one cheap request (a wrong key is a
   * one-line start-up error), adopts the groups of this node and starts the refresh loop.
   */
  static async create(options: EciProviderOptions): Promise<EciProvider> {
    const provider = new EciProvider(options);
    try {
      await provider.checkAccess(
        AbortSignal.timeout(options.config.requestTimeoutMs * options.config.maxAttempts),
      );
      await provider.start();
    } catch (error) {
      await provider.close();
      throw error;
    }
    return provider;
  }

  configureNode(node: V1Node): void {
    advertiseNode(node, {
      capacity: this.options.config.capacity,
      labels: { 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/region': this.options.config.region },
    });
  }

  /** The node's health: DescribeRegions, ECI's cheapest call, answers. */
  async ping(options: CallOptions): Promise<void> {
    await this.describeRegions(options.signal);
  }

  async getContainerLogs(
    ref: PodRef,
    container: string,
    options: ContainerLogOptions & CallOptions,
  ): Promise<AsyncIterable<LogItem>> {
    const record = this.pods.require(ref);
    requireContainer(record, container);
    return readContainerLogs({
      client: this.options.client,
      containerGroupId: record.state.group.ContainerGroupId,
      container,
      options,
      pollIntervalMs: this.options.config.logPollIntervalMs,
      ended: () => {
        const current = this.pods.get(record.uid);
        if (!current || current.gone) return true;
        const eci = [
          ...(current.state.group.Containers ?? []),
          ...(current.state.group.InitContainers ?? []),
        ].find(candidate => candidate.Name === container);
        return containerState(eci?.CurrentState)?.terminated !== undefined;
      },
    });
  }

  async runInContainer(
    ref: PodRef,
    container: string,
    command: string[],
    io: AttachIO,
    options: CallOptions,
  ): Promise<number> {
    const record = this.pods.require(ref);
    requireContainer(record, container);
    const sentinel =
      this.options.config.exec.exitCodeSentinel &&
      record.pod.metadata?.annotations?.[EXEC_SENTINEL_ANNOTATION] !== 'false';
    return this.exec.run({ containerGroupId: record.state.group.ContainerGroupId, container }, command, io, {
      signal: options.signal,
      sentinel,
    });
  }

  getStatsSummary(options: CallOptions): Promise<StatsSummary> {
    return statsSummary(
      this.options.client,
      this.options.context.nodeName,
      this.startedAt,
      this.pods.list(),
      options.signal,
    );
  }

  private async describeRegions(signal: AbortSignal): Promise<DescribeRegionsResponse> {
    return this.options.client.request<DescribeRegionsResponse>(
      'DescribeRegions',
      {},
      { signal, idempotent: true },
    );
  }

  /** A wrong key, secret, token or region is bad input: one line, exit code 2. */
  private async checkAccess(signal: AbortSignal): Promise<void> {
    const { client, config } = this.options;
    try {
      const regions = await this.describeRegions(signal);
      const known = (regions.Regions ?? []).map(region => region.RegionId);
      if (known.length > 0 && !known.includes(config.region)) {
        throw new InvalidInputError(
          `region: ECI does not offer ${config.region} (it offers ${known.join(', ')})`,
        );
      }
    } catch (error) {
      if (error instanceof EciCredentialsError) {
        throw new InvalidInputError(
          `ECI refused the credentials (ECI_ACCESS_KEY/ECI_SECRET_KEY): ${error.message}`,
          {
            cause: error,
          },
        );
      }
      if (error instanceof InvalidInputError) throw error;
      throw new Error(`cannot reach ECI at ${client.endpoint}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
}

function requireContainer(record: TrackedPod<GroupState>, container: string): void {
  const spec = record.pod.spec;
  if (![...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].some(c => c.name === container)) {
    throw new NotFoundError(`container ${container} is not in pod ${record.namespace}/${record.name}`);
  }
}
