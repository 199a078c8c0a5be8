import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import type { V1Node, V1Pod, V1PodStatus } from '@kubernetes/client-node';
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
import { CriClient, isUnreachable } from './cri/client.js';
import { RuntimeHealth } from './cri/health.js';
import type { VersionInfo } from './cri/types.js';
import { LABEL_NODE } from './labels.js';
import { readCriLog } from './logs.js';
import { configureNode } from './node.js';
import type { ContainerRecord, CriPod, SandboxRecord } from './pod/record.js';
import { CpuSampler, statsSummary } from './stats.js';

/** First wait between two attempts to reach the runtime; it doubles up to the maximum. */
const RECONNECT_INITIAL_MS = 500;
const RECONNECT_MAX_MS = 10_000;
/** Deadline of the Version call that checks the runtime is there. */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * Runs pods as CRI sandboxes and containers (containerd, CRI-O) on this host; see CriBackend.
 *
 * The runtime may be away: at start-up (containerd not started yet) and at any time after (a
 * containerd restart). The provider then waits for it with back-off instead of failing: the node's
 * Ready condition says why (`ping`), pod calls made before the first adoption wait for it (or fail
 * as transient when their caller gives up first), and pods keep their last status meanwhile.
 */
export class CriProvider extends ProviderRuntime<SandboxRecord> {
  private readonly cpuSampler = new CpuSampler();
  private readonly startedAt = new Date();
  private readonly closing = new AbortController();
  private readonly adopted: Promise<void>;
  private markAdopted!: () => void;
  private isAdopted = false;
  private version: VersionInfo | undefined;
  private connecting: Promise<void> | undefined;

  private constructor(
    private readonly ctx: ProviderContext,
    private readonly config: CriConfig,
    private readonly cri: CriClient,
    private readonly health: RuntimeHealth,
  ) {
    const logger = ctx.logger.child({ provider: 'cri' });
    super({
      backend: new CriBackend(ctx, config, cri, health, logger),
      hostIP: ctx.internalIP,
      logger,
      refresh: { intervalMs: config.statusIntervalMs, concurrency: 16 },
    });
    this.adopted = new Promise(resolve => (this.markAdopted = resolve));
  }

  /**
   * Connects to the runtime, adopts the pods an earlier process left running and starts the sync
   * loop. Resolves after the first attempt: connected and adopted, or, when the runtime is not
   * reachable, with the provider waiting for it in the background.
   */
  static async create(ctx: ProviderContext, config: CriConfig): Promise<CriProvider> {
    const health = new RuntimeHealth(config.runtimeEndpoint);
    const cri = new CriClient(config.runtimeEndpoint, {
      imageEndpoint: config.imageEndpoint,
      defaultTimeoutMs: config.requestTimeoutMs,
      health,
    });
    const provider = new CriProvider(ctx, config, cri, health);
    await new Promise<void>(firstAttempt => {
      provider.connecting = provider.keepConnected(firstAttempt);
    });
    return provider;
  }

  /**
   * For the provider's life: reach the runtime (Version), adopt once, and whenever a call finds the
   * runtime gone, probe it with back-off until it answers again, then sync every pod.
   */
  private async keepConnected(firstAttempt: () => void): Promise<void> {
    const signal = this.closing.signal;
    let delayMs = RECONNECT_INITIAL_MS;
    let waitingSince: number | undefined;
    while (!signal.aborted) {
      if (this.isAdopted && this.health.reachable) {
        firstAttempt();
        try {
          await this.health.whenUnreachable(signal);
        } catch {
          return; // closing
        }
        waitingSince = Date.now();
        this.logger.warn('lost the CRI runtime; waiting for it', { reason: this.health.describe() });
        continue;
      }
      try {
        this.version = await this.cri.version({ signal, timeoutMs: PROBE_TIMEOUT_MS });
        if (!this.isAdopted) {
          await this.start();
          this.isAdopted = true;
          this.markAdopted();
          this.logger.info('connected to CRI runtime', {
            runtime: `${this.version.runtime_name} ${this.version.runtime_version}`,
            adopted: this.pods.size,
          });
        } else {
          this.logger.info('the CRI runtime is back', { downMs: Date.now() - (waitingSince ?? Date.now()) });
          for (const pod of this.pods.list()) this.syncSoon(pod.uid);
        }
        delayMs = RECONNECT_INITIAL_MS;
      } catch (error) {
        if (signal.aborted) return;
        if (isUnreachable(error)) this.health.unreachable(error);
        if (waitingSince === undefined) {
          waitingSince = Date.now();
          this.logger.warn('cannot reach the CRI runtime; waiting for it', {
            endpoint: this.config.runtimeEndpoint,
            error: String(error),
          });
        } else {
          this.logger.debug('CRI runtime still not reachable', { error: String(error), retryInMs: delayMs });
        }
        firstAttempt();
        try {
          await sleep(delayMs, undefined, { signal });
        } catch {
          return; // closing
        }
        delayMs = Math.min(delayMs * 2, RECONNECT_MAX_MS);
      }
    }
  }

  /** Resolves once the pods are adopted; a transient error naming the runtime if `signal` ends first. */
  private async whenAdopted(signal: AbortSignal | undefined): Promise<void> {
    if (this.isAdopted) return;
    if (!signal) return this.adopted;
    await new Promise<void>((resolve, reject) => {
      const abort = (): void => reject(this.health.unreachableError());
      if (signal.aborted) return abort();
      signal.addEventListener('abort', abort, { once: true });
      void this.adopted.then(() => {
        signal.removeEventListener('abort', abort);
        resolve();
      });
    });
  }

  override async createPod(pod: V1Pod, options: CallOptions): Promise<void> {
    await this.whenAdopted(options.signal);
    return super.createPod(pod, options);
  }

  override async updatePod(pod: V1Pod, options: CallOptions): Promise<void> {
    await this.whenAdopted(options.signal);
    return super.updatePod(pod, options);
  }

  override async deletePod(pod: V1Pod, options: CallOptions): Promise<void> {
    await this.whenAdopted(options.signal);
    return super.deletePod(pod, options);
  }

  override async getPod(namespace: string, name: string, options?: CallOptions): Promise<V1Pod> {
    await this.whenAdopted(options?.signal);
    return super.getPod(namespace, name, options);
  }

  override async getPodStatus(namespace: string, name: string, options?: CallOptions): Promise<V1PodStatus> {
    await this.whenAdopted(options?.signal);
    return super.getPodStatus(namespace, name, options);
  }

  override async getPods(options?: CallOptions): Promise<V1Pod[]> {
    await this.whenAdopted(options?.signal);
    return super.getPods(options);
  }

  override async close(): Promise<void> {
    this.closing.abort(new Error('provider closed'));
    await this.connecting;
    await super.close();
  }

  async configureNode(node: V1Node): Promise<void> {
    await configureNode(node, this.config, this.version, this.ctx.internalIP);
  }

  /** Fails while the runtime is away, saying which endpoint and since when (the node's Ready message). */
  async ping(options: CallOptions): Promise<void> {
    if (!this.health.reachable) throw new Error(this.health.describe());
    let conditions: Awaited<ReturnType<CriClient['status']>>;
    try {
      conditions = await this.cri.status({ signal: options.signal });
    } catch (error) {
      if (!this.health.reachable) throw new Error(this.health.describe(), { cause: error });
      throw error;
    }
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
