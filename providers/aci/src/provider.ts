import type { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import {
  InvalidInputError,
  NotFoundError,
  parseQuantity,
  ProviderRuntime,
  type AttachIO,
  type CallOptions,
  type ContainerLogOptions,
  type LogItem,
  type PodRef,
  type PodStats,
  type ProviderContext,
  type StatsSummary,
  type TrackedPod,
} from '@vkubelet/provider-kit';

import { AciBackend } from './backend.js';
import type { AciConfig } from './config.js';
import type { GroupSettings } from './group/build.js';
import { readContainerLogs } from './logs.js';
import { configureAciNode, nodeCapacity, readUsages } from './node.js';
import { CpuTimeLedger, podStats, readGroupUsage, summarize, type ContainerUsage } from './stats.js';
import type { GroupState } from './status/group-state.js';
import { attachInAci } from './streams/attach.js';
import { execInAci } from './streams/exec.js';

export interface AciProviderOptions {
  config: AciConfig;
  client: ContainerInstanceManagementClient;
  context: Pick<
    ProviderContext,
    'nodeName' | 'internalIP' | 'clusterDomain' | 'resources' | 'tokens' | 'events' | 'logger'
  >;
  /** PEM of the extra CA (the config's caFile), for the exec and attach WebSockets. */
  ca?: string | undefined;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);
/** Monitor reads in flight at once for one stats summary. */
const STATS_CONCURRENCY = 10;

/**
 * Pods as Azure Container Instances container groups (see AciBackend), on the provider runtime:
 * every group is read with one ARM GET each `statusIntervalMs` (`syncConcurrency` at once) and right
 * after its create; status changes are pushed through notifyPods, ACI's events recorded on the pod.
 * Logs, exec (exit codes through a shell, see execInAci), attach and stats (Azure Monitor) are ACI's
 * own; port-forward is absent (501): ACI offers no way to reach a port of a group from the agent.
 */
export class AciProvider extends ProviderRuntime<GroupState> {
  private readonly startedAt = new Date();
  private readonly cpuTime = new CpuTimeLedger();
  private readonly usageCache = new Map<string, { at: number; usage: Map<string, ContainerUsage> }>();
  private capacity: Record<string, string> = {};

  private constructor(private readonly options: AciProviderOptions) {
    const { config, client, context } = options;
    const owner = { nodeName: context.nodeName, clusterName: config.clusterName };
    const settings: GroupSettings = {
      owner,
      region: config.region,
      operatingSystem: config.operatingSystem,
      defaults: {
        cpu: parseQuantity(config.defaults.cpu),
        memory: parseQuantity(config.defaults.memory),
        gpuSku: config.defaults.gpuSku,
      },
      network: {
        subnetId: config.subnetId,
        kubeDnsIP: config.kubeDnsIP,
        clusterDomain: context.clusterDomain,
      },
      sources: { resources: context.resources, tokens: context.tokens },
    };
    const logger = context.logger;
    let tracks: (uid: string) => boolean = () => false;
    super({
      backend: new AciBackend({
        client,
        resourceGroup: config.resourceGroup,
        settings,
        events: context.events,
        tracks: uid => tracks(uid),
        logger,
      }),
      hostIP: context.internalIP,
      logger,
      refresh: { intervalMs: config.statusIntervalMs, concurrency: config.syncConcurrency },
    });
    tracks = uid => this.pods.get(uid) !== undefined;
  }

  /**
   * Reads the region's quotas (the node's capacity unless configured, and a check that ARM answers
   * with these credentials), adopts the groups an earlier process left, and starts the status loop.
   */
  static async create(options: AciProviderOptions): Promise<AciProvider> {
    const provider = new AciProvider(options);
    try {
      const usages = await readUsages(options.client, options.config.region, AbortSignal.timeout(60_000));
      provider.capacity = nodeCapacity(options.config, usages);
      await provider.start();
    } catch (err) {
      await provider.close();
      throw err;
    }
    provider.logger.info('connected to Azure Container Instances', {
      resourceGroup: options.config.resourceGroup,
      region: options.config.region,
      adopted: provider.pods.size,
    });
    return provider;
  }

  configureNode(node: V1Node): void {
    configureAciNode(node, this.capacity, this.options.config.operatingSystem);
  }

  /** The node is healthy while ARM answers the region's usages with these credentials. */
  async ping({ signal }: CallOptions): Promise<void> {
    await readUsages(this.options.client, this.options.config.region, signal);
  }

  async getContainerLogs(
    ref: PodRef,
    container: string,
    options: ContainerLogOptions & CallOptions,
  ): Promise<AsyncIterable<LogItem>> {
    const record = this.startedContainer(ref, container);
    if (options.previous)
      throw new InvalidInputError(`previous: ACI keeps the logs of the current run of ${container} only`);
    return readContainerLogs({
      client: this.options.client,
      resourceGroup: this.options.config.resourceGroup,
      group: record.state.name,
      container,
      options,
      pollIntervalMs: this.options.config.logPollIntervalMs,
      ended: () => {
        const now = this.pods.get(record.uid);
        return !now || now.gone || TERMINAL.has(now.status.phase ?? '');
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
    const record = this.running(ref, container);
    if (command.length === 0) throw new InvalidInputError('exec needs a command');
    const { config, client, ca } = this.options;
    return execInAci(
      {
        client,
        resourceGroup: config.resourceGroup,
        group: record.state.name,
        container,
        exitCode: config.exec.exitCode,
        shell: config.exec.shell,
        ca,
      },
      command,
      io,
      this.call(options).signal,
    );
  }

  async attachToContainer(ref: PodRef, container: string, io: AttachIO, options: CallOptions): Promise<void> {
    const record = this.running(ref, container);
    const { config, client, ca } = this.options;
    await attachInAci(
      { client, resourceGroup: config.resourceGroup, group: record.state.name, container, ca },
      io,
      this.call(options).signal,
    );
  }

  /**
   * The kubelet's Summary from Azure Monitor: each running group's latest CpuUsage and MemoryUsage
   * per container (one read per group, reused for `metricsCacheMs`); the CPU time counter is the
   * reported rate summed over time, as Monitor reports no counter.
   */
  async getStatsSummary(options: CallOptions): Promise<StatsSummary> {
    const signal = this.call(options).signal;
    const running = this.pods
      .list()
      .filter(record => record.status.phase === 'Running' && record.state.group.id);
    const stats: PodStats[] = [];
    const keys = new Set<string>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < running.length) {
        const record = running[next++]!;
        const usage = await this.groupUsage(record, signal);
        const sampled = new Date();
        const now = sampled.getTime();
        const containers = (record.status.containerStatuses ?? [])
          .filter(status => status.state?.running)
          .map(status => {
            const key = `${record.uid}/${status.name}`;
            keys.add(key);
            const figures = usage.get(status.name);
            const cpuTime = this.cpuTime.record(key, (figures?.cpuMillicores ?? 0) * 1e6, now);
            return {
              name: status.name,
              startTime: new Date(status.state!.running!.startedAt ?? now),
              usage: figures,
              cpuTime,
            };
          });
        stats.push(
          podStats(
            { name: record.name, namespace: record.namespace, uid: record.uid },
            new Date(record.status.startTime ?? record.state.firstSeen),
            containers,
            sampled,
          ),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(STATS_CONCURRENCY, running.length) }, worker));
    this.cpuTime.retain(keys);
    for (const uid of this.usageCache.keys()) if (!this.pods.get(uid)) this.usageCache.delete(uid);
    return summarize(this.options.context.nodeName, this.startedAt, stats, new Date());
  }

  private async groupUsage(
    record: TrackedPod<GroupState>,
    signal: AbortSignal,
  ): Promise<Map<string, ContainerUsage>> {
    const cached = this.usageCache.get(record.uid);
    const { config, client } = this.options;
    if (cached && Date.now() - cached.at < config.metricsCacheMs) return cached.usage;
    try {
      const usage = await readGroupUsage(client, config.armEndpoint, record.state.group.id!, signal);
      this.usageCache.set(record.uid, { at: Date.now(), usage });
      return usage;
    } catch (err) {
      // A pod without figures is still listed; Monitor may lag behind a new group.
      this.logger.debug('reading Azure Monitor metrics failed', {
        pod: `${record.namespace}/${record.name}`,
        error: String(err),
      });
      return cached?.usage ?? new Map();
    }
  }

  /** The pod of a streaming call, which must have the container. */
  private withContainer(ref: PodRef, container: string): TrackedPod<GroupState> {
    const record = this.pods.require(ref);
    const spec = record.pod.spec;
    if (![...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].some(c => c.name === container))
      throw new NotFoundError(`container ${container} is not in pod ${ref.namespace}/${ref.name}`);
    return record;
  }

  /** The pod of a logs call, whose container must have started (as the kubelet answers otherwise). */
  private startedContainer(ref: PodRef, container: string): TrackedPod<GroupState> {
    const record = this.withContainer(ref, container);
    const status = containerStatus(record.status, container);
    if (status && !status.state?.running && !status.state?.terminated && !status.lastState?.terminated) {
      const reason = status.state?.waiting?.reason ?? 'ContainerCreating';
      throw new InvalidInputError(
        `container "${container}" in pod "${ref.name}" is waiting to start: ${reason}`,
      );
    }
    return record;
  }

  /** The pod of an exec or attach, whose container must be running. */
  private running(ref: PodRef, container: string): TrackedPod<GroupState> {
    const record = this.withContainer(ref, container);
    if (!containerStatus(record.status, container)?.state?.running)
      throw new InvalidInputError(
        `container ${container} in pod ${ref.namespace}/${ref.name} is not running`,
      );
    return record;
  }
}

function containerStatus(status: V1Pod['status'], name: string) {
  return [...(status?.containerStatuses ?? []), ...(status?.initContainerStatuses ?? [])].find(
    s => s.name === name,
  );
}
