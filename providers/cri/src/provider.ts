import { join } from 'node:path';
import type { Duplex } from 'node:stream';

import type { V1Node } from '@kubernetes/client-node';
import {
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
} from '@vkubelet/provider-kit';
import { portForwardOverSpdy, remoteCommandOverSpdy } from '@vkubelet/provider-kit/streaming';

import { CriBackend } from './backend.js';
import type { CriConfig } from './config.js';
import { CriClient } from './cri/client.js';
import type { VersionInfo } from './cri/types.js';
import { LABEL_NODE } from './labels.js';
import { readCriLog } from './logs.js';
import { configureNode } from './node.js';
import type { ContainerRecord, CriPod, SandboxRecord } from './pod/record.js';
import { CpuSampler, statsSummary } from './stats.js';

/** Runs pods as CRI sandboxes and containers (containerd, CRI-O) on this host; see CriBackend. */
export class CriProvider extends ProviderRuntime<SandboxRecord> {
  private readonly cpuSampler = new CpuSampler();
  private readonly startedAt = new Date();

  private constructor(
    private readonly ctx: ProviderContext,
    private readonly config: CriConfig,
    private readonly cri: CriClient,
    private readonly version: VersionInfo,
  ) {
    const logger = ctx.logger.child({ provider: 'cri' });
    super({
      backend: new CriBackend(ctx, config, cri, logger),
      hostIP: ctx.internalIP,
      logger,
      refresh: { intervalMs: config.statusIntervalMs, concurrency: 16 },
    });
  }

  /** Connects to the runtime, adopts the pods an earlier process left running, starts the sync loop. */
  static async create(ctx: ProviderContext, config: CriConfig): Promise<CriProvider> {
    const cri = new CriClient(config.runtimeEndpoint, config.imageEndpoint, config.requestTimeoutMs);
    let version: VersionInfo;
    try {
      version = await cri.version({ timeoutMs: 10_000 });
    } catch (error) {
      cri.close();
      throw new Error(
        `cannot reach the CRI runtime at ${config.runtimeEndpoint}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const provider = new CriProvider(ctx, config, cri, version);
    try {
      await provider.start();
    } catch (error) {
      await provider.close();
      throw error;
    }
    provider.logger.info('connected to CRI runtime', {
      runtime: `${version.runtime_name} ${version.runtime_version}`,
      adopted: provider.pods.size,
    });
    return provider;
  }

  async configureNode(node: V1Node): Promise<void> {
    await configureNode(node, this.config, this.version, this.ctx.internalIP);
  }

  async ping(options: CallOptions): Promise<void> {
    const conditions = await this.cri.status({ signal: options.signal });
    const failing = conditions.filter(
      c => !c.status && (c.type === 'RuntimeReady' || c.type === 'NetworkReady'),
    );
    if (failing.length)
      throw new Error(failing.map(c => `${c.type}: ${c.reason} ${c.message}`.trim()).join('; '));
  }

  async getContainerLogs(
    ref: PodRef,
    container: string,
    options: ContainerLogOptions & CallOptions,
  ): Promise<AsyncIterable<LogItem>> {
    const pod = this.pods.require(ref);
    const c = containerOf(pod, container);
    const attempt = options.previous ? c.attempt - 1 : c.attempt;
    if (options.previous && (!c.previousId || attempt < 0)) {
      throw new NotFoundError(`previous terminated container "${container}" in pod "${ref.name}" not found`);
    }
    if (!c.id) throw new NotFoundError(`container "${container}" in pod "${ref.name}" has not started yet`);
    const currentId = c.id;
    return readCriLog(join(pod.state.podDir, 'logs', container, `${attempt}.log`), {
      follow: options.follow && !options.previous,
      signal: options.signal,
      isRunning: () =>
        this.pods.get(pod.uid) === pod && c.id === currentId && c.status?.state !== 'CONTAINER_EXITED',
    });
  }

  async runInContainer(
    ref: PodRef,
    container: string,
    command: string[],
    io: AttachIO,
    options: CallOptions,
  ): Promise<number> {
    const url = await this.cri.exec(
      {
        container_id: this.runningContainerId(ref, container),
        cmd: command,
        tty: io.tty,
        stdin: Boolean(io.stdin),
        stdout: Boolean(io.stdout),
        stderr: Boolean(io.stderr) && !io.tty,
      },
      { signal: options.signal },
    );
    return remoteCommandOverSpdy(url, io, { signal: options.signal });
  }

  async attachToContainer(ref: PodRef, container: string, io: AttachIO, options: CallOptions): Promise<void> {
    const url = await this.cri.attach(
      {
        container_id: this.runningContainerId(ref, container),
        tty: io.tty,
        stdin: Boolean(io.stdin),
        stdout: Boolean(io.stdout),
        stderr: Boolean(io.stderr) && !io.tty,
      },
      { signal: options.signal },
    );
    await remoteCommandOverSpdy(url, io, { signal: options.signal });
  }

  async portForward(ref: PodRef, port: number, stream: Duplex, options: CallOptions): Promise<void> {
    const pod = this.pods.require(ref);
    const url = await this.cri.portForward(pod.state.sandboxId, [port], { signal: options.signal });
    await portForwardOverSpdy(url, port, stream, { signal: options.signal });
  }

  async getStatsSummary(options: CallOptions): Promise<StatsSummary> {
    const o = { signal: options.signal };
    const selector = { [LABEL_NODE]: this.ctx.nodeName };
    const [stats, sandboxStats] = await Promise.all([
      this.cri.listContainerStats(selector, o),
      // Network usage only comes per sandbox; runtimes without it still give CPU and memory.
      this.cri.listPodSandboxStats(selector, o).catch((error: unknown) => {
        this.logger.debug('ListPodSandboxStats unavailable', { error: String(error) });
        return [];
      }),
    ]);
    return statsSummary(
      this.ctx.nodeName,
      this.startedAt,
      this.pods.list(),
      stats,
      this.cpuSampler,
      sandboxStats,
    );
  }

  private runningContainerId(ref: PodRef, container: string): string {
    const c = containerOf(this.pods.require(ref), container);
    if (!c.id || c.status?.state !== 'CONTAINER_RUNNING') {
      throw new InvalidInputError(`container "${container}" in pod "${ref.name}" is not running`);
    }
    return c.id;
  }
}

function containerOf(pod: CriPod, name: string): ContainerRecord {
  const c = [...pod.state.app, ...pod.state.init].find(x => x.spec.name === name);
  if (!c) throw new NotFoundError(`container "${name}" is not in pod "${pod.name}"`);
  return c;
}
