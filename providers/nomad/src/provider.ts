import type { V1Node } from '@kubernetes/client-node';
import {
  InvalidInputError,
  NotFoundError,
  ProviderRuntime,
  TransientError,
  type AttachIO,
  type CallOptions,
  type ContainerLogOptions,
  type LogItem,
  type Logger,
  type PodRef,
  type PodStats,
  type ResourceLister,
  type StatsSummary,
  type TrackedPod,
  advertiseNode,
} from '@vkubelet/provider-kit';
import { bridgeWebSocket } from '@vkubelet/provider-kit/streaming';

import { NomadBackend } from './backend.js';
import { runBlockingLoop } from './blocking-loop.js';
import type { NomadConfig } from './config.js';
import { taskLogLines } from './logs.js';
import type { JobSettings } from './mapping/job.js';
import type { NomadApi } from './nomad/api.js';
import { NomadPermissionError } from './nomad/errors.js';
import { nomadExecProtocol } from './nomad/exec.js';
import type { AllocationListStub, NodeListStub } from './nomad/types.js';
import {
  eligibleNodes,
  FALLBACK_MHZ_PER_CORE,
  measuredMHzPerCore,
  nodeResources,
  type NodeResources,
} from './nodes.js';
import { CpuCounter, podStats, statsSummary } from './stats.js';
import { currentAllocation, type JobState } from './status.js';

export interface NomadProviderOptions {
  config: NomadConfig;
  api: NomadApi;
  nodeName: string;
  /** The node's InternalIP (every pod's hostIP). */
  internalIP?: string;
  /** ConfigMaps and Secrets the pods' volumes need (core's caches). */
  resources: ResourceLister;
  logger: Logger;
}

/** Allocation stats requests in flight at once while building the Summary. */
const STATS_CONCURRENCY = 8;

const ZERO_TIME_PREFIX = '0001-';

function taskStart(alloc: AllocationListStub, task: string): Date | undefined {
  const state = alloc.TaskStates?.[task];
  if (state?.State !== 'running' || !state.StartedAt || state.StartedAt.startsWith(ZERO_TIME_PREFIX))
    return undefined;
  return new Date(state.StartedAt);
}

/**
 * Pods as Nomad jobs (see NomadBackend) on the provider runtime. Status, node capacity and pod IPs
 * are pushed by Nomad's blocking queries (jobs, allocations, nodes: one long poll each while
 * idle). Logs come from `/v1/client/fs/logs`, exec from Nomad's exec WebSocket, stats from the
 * allocation stats. Attach and port-forward are absent (core answers 501): Nomad has no API to
 * attach to a task's main process or to forward a port into an allocation.
 */
export class NomadProvider extends ProviderRuntime<JobState> {
  private readonly api: NomadApi;
  private nodes: readonly NodeListStub[];
  private readonly mhzPerCore: number;
  private readonly nodeLoop = new AbortController();
  private nodeWatch: Promise<void> | undefined;
  private nodeListener: ((node: V1Node) => void) | undefined;
  private advertised: string;
  private readonly cpu = new CpuCounter();
  private readonly startedAt = new Date();

  private constructor(
    private readonly options: NomadProviderOptions,
    nodes: readonly NodeListStub[],
    mhzPerCore: number,
  ) {
    const { config, api, nodeName, resources, logger } = options;
    const settings: JobSettings = {
      nodeName,
      namespace: api.client.namespace,
      region: api.client.region,
      jobPrefix: config.jobPrefix,
      datacenters: config.datacenters,
      nodePool: config.nodePool,
      priority: config.priority,
      driver: config.driver,
      networkMode: config.networkMode,
      cpuMHzPerCore: mhzPerCore,
      exclusiveCores: config.exclusiveCores,
      restart: config.restart,
    };
    super({
      backend: new NomadBackend({
        api,
        settings,
        resources,
        nodeAddress: id => this.nodes.find(node => node.ID === id)?.Address || undefined,
        blockingWaitMs: config.blockingWaitMs,
        logger,
      }),
      logger,
      ...(options.internalIP ? { hostIP: options.internalIP } : {}),
    });
    this.api = api;
    this.nodes = nodes;
    this.mhzPerCore = mhzPerCore;
    this.advertised = JSON.stringify(this.resources());
  }

  /**
   * Reads the client nodes (capacity, MHz per core), adopts the jobs this node registered before,
   * and starts following jobs, allocations and nodes. A token Nomad refuses is a config error.
   */
  static async create(options: NomadProviderOptions): Promise<NomadProvider> {
    const { config, api, logger } = options;
    let nodes: NodeListStub[];
    try {
      ({ body: nodes } = await api.listNodes(AbortSignal.timeout(30_000)));
    } catch (error) {
      await api.client.close();
      if (error instanceof NomadPermissionError)
        throw new InvalidInputError(`${error.message} (node:read is needed too)`, { cause: error });
      throw error;
    }
    const selection = { datacenters: config.datacenters, nodePool: config.nodePool };
    const measured = measuredMHzPerCore(eligibleNodes(nodes, selection));
    const mhzPerCore = config.cpuMHzPerCore ?? measured ?? FALLBACK_MHZ_PER_CORE;
    if (config.cpuMHzPerCore === undefined)
      logger.info("CPU of pods is converted at the clients' MHz per core", { mhzPerCore });
    const provider = new NomadProvider(options, nodes, mhzPerCore);
    try {
      await provider.start();
    } catch (error) {
      await provider.close();
      if (error instanceof NomadPermissionError) throw new InvalidInputError(error.message, { cause: error });
      throw error;
    }
    provider.followNodes();
    return provider;
  }

  configureNode(node: V1Node): void {
    advertiseNode(node, { ...this.resources(), labels: { 'kubernetes.io/os': 'linux' } });
  }

  notifyNodeStatus(callback: (node: V1Node) => void): void {
    this.nodeListener = callback;
  }

  /** The agent's health endpoint: unhealthy (no leader, client down) is a failed ping. */
  async ping({ signal }: CallOptions): Promise<void> {
    const health = await this.api.agentHealth(this.call({ signal }).signal);
    for (const [part, check] of Object.entries(health)) {
      if (check && !check.ok) throw new TransientError(`nomad agent ${part} unhealthy: ${check.message}`);
    }
  }

  async getContainerLogs(
    ref: PodRef,
    container: string,
    options: ContainerLogOptions & CallOptions,
  ): Promise<AsyncIterable<LogItem>> {
    const record = this.pods.require(ref);
    this.requireContainer(record, container);
    const { allocs } = record.state;
    const current = currentAllocation(allocs);
    let alloc = current;
    if (options.previous) {
      const state = current?.TaskStates?.[container];
      if (state && state.Restarts > 0) {
        throw new InvalidInputError(
          `previous: Nomad appends a restarted task's output to the same log, so ${container}'s ` +
            'previous run cannot be told apart; `kubectl logs` without --previous shows both runs',
        );
      }
      alloc = allocs.findLast(
        a => a.CreateIndex < (current?.CreateIndex ?? Infinity) && a.TaskStates?.[container]?.StartedAt,
      );
      if (!alloc)
        throw new InvalidInputError(
          `previous terminated container "${container}" in pod "${ref.name}" not found`,
        );
    }
    const task = alloc?.TaskStates?.[container];
    if (!alloc || !task?.StartedAt || task.StartedAt.startsWith(ZERO_TIME_PREFIX)) {
      throw new InvalidInputError(
        `container "${container}" in pod "${ref.name}" is waiting to start: no Nomad task has run yet`,
      );
    }
    const log = {
      api: this.api,
      allocId: alloc.ID,
      task: container,
      historyTime: new Date(task.StartedAt),
    };
    return taskLogLines(log, options.follow && !options.previous, this.call(options).signal);
  }

  async runInContainer(
    ref: PodRef,
    container: string,
    command: string[],
    io: AttachIO,
    options: CallOptions,
  ): Promise<number> {
    const record = this.pods.require(ref);
    this.requireContainer(record, container);
    const alloc = currentAllocation(record.state.allocs);
    if (!alloc || alloc.TaskStates?.[container]?.State !== 'running')
      throw new InvalidInputError(`container ${container} is not running`);
    const signal = this.call(options).signal;
    const ws = await this.api.exec(alloc.ID, container, command, io.tty, signal);
    let closed: { code: number; reason: string } | undefined;
    ws.once('close', (code: number, reason: Buffer) => (closed = { code, reason: reason.toString() }));
    const exitCode = await bridgeWebSocket(ws, io, nomadExecProtocol, signal);
    if (exitCode !== undefined) return exitCode;
    // Nomad refuses a session after the upgrade with a close frame whose reason is the error.
    const reason = closed?.reason || `closed with code ${closed?.code ?? 'unknown'}`;
    if (/permission denied/i.test(reason))
      throw new NomadPermissionError(`nomad exec: ${reason}: the ACL token lacks alloc-exec`);
    if (/not running|unknown task/i.test(reason)) throw new NotFoundError(`nomad exec: ${reason}`);
    throw new TransientError(`nomad exec ended without an exit code: ${reason}`);
  }

  async getStatsSummary(options: CallOptions): Promise<StatsSummary> {
    const signal = this.call(options).signal;
    const now = Date.now();
    const running = this.pods
      .list()
      .map(record => ({ record, alloc: currentAllocation(record.state.allocs) }))
      .filter(({ alloc }) => alloc?.ClientStatus === 'running');
    const pods: PodStats[] = [];
    const keys = new Set<string>();
    let next = 0;
    const worker = async () => {
      while (next < running.length) {
        const { record, alloc } = running[next++]!;
        const taskStarts = new Map<string, Date>();
        for (const task of Object.keys(alloc!.TaskStates ?? {})) {
          const start = taskStart(alloc!, task);
          if (start) {
            taskStarts.set(task, start);
            keys.add(`${alloc!.ID}/${task}`);
          }
        }
        try {
          const usage = await this.api.allocationStats(alloc!.ID, signal);
          const pod = { namespace: record.namespace, name: record.name, uid: record.uid };
          const startTime = new Date(alloc!.CreateTime / 1e6);
          pods.push(podStats({ pod, allocId: alloc!.ID, startTime, taskStarts, usage }, this.cpu, now));
        } catch (error) {
          if (signal.aborted) throw error;
          this.logger.debug('allocation stats unavailable', { alloc: alloc!.ID, error: String(error) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(STATS_CONCURRENCY, running.length) }, worker));
    this.cpu.retain(keys);
    return statsSummary(this.options.nodeName, this.startedAt, pods, now);
  }

  override async close(): Promise<void> {
    this.nodeLoop.abort();
    await this.nodeWatch;
    await super.close();
  }

  private requireContainer(record: TrackedPod<JobState>, container: string): void {
    const spec = record.pod.spec;
    if (![...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].some(c => c.name === container))
      throw new NotFoundError(`container ${container} is not in pod ${record.namespace}/${record.name}`);
  }

  private resources(): NodeResources {
    const { datacenters, nodePool, pods } = this.options.config;
    return nodeResources(eligibleNodes(this.nodes, { datacenters, nodePool }), this.mhzPerCore, pods);
  }

  /** Follows the client nodes: addresses for pod IPs, and capacity pushed to the Node when it changes. */
  private followNodes(): void {
    const { blockingWaitMs: waitMs } = this.options.config;
    this.nodeWatch = runBlockingLoop({
      name: 'nodes',
      signal: this.nodeLoop.signal,
      logger: this.logger,
      read: (index, signal) => this.api.listNodes(signal, { index, waitMs }),
      onAnswer: nodes => {
        this.nodes = nodes;
        const resources = this.resources();
        const advertised = JSON.stringify(resources);
        if (advertised === this.advertised) return;
        this.advertised = advertised;
        this.logger.info('Nomad clients changed; node capacity updated', resources.capacity);
        this.nodeListener?.({ status: resources });
      },
    });
  }
}
