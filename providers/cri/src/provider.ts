import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { V1Node, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import {
  InvalidInputError,
  NotFoundError,
  type AttachIO,
  type CallOptions,
  type ContainerLogOptions,
  type LogItem,
  type Logger,
  type PodRef,
  type Provider,
  type ProviderContext,
  type StatsSummary,
} from '@vkubelet/provider-kit';
import type { Duplex } from 'node:stream';

import type { CriConfig } from './config.js';
import { CriClient } from './cri/client.js';
import type { VersionInfo } from './cri/types.js';
import { LABEL_NODE, LABEL_POD_UID } from './labels.js';
import { readCriLog } from './logs.js';
import { configureNode } from './node.js';
import { adoptPods } from './pod/adopt.js';
import { newContainerRecord, type ContainerRecord, type PodRecord } from './pod/record.js';
import { podIdentity, sandboxConfig, type PodIdentity, type SandboxContext } from './pod/sandbox-config.js';
import { podStatus } from './pod/status.js';
import { syncPod } from './pod/sync.js';
import { prepareVolumes, volumeHostPaths } from './pod/volumes.js';
import { CpuSampler, statsSummary } from './stats.js';
import { runRemoteCommandSpdy } from './spdy/remote-command.js';
import { runPortForward } from './streaming.js';

/** Runs pods as CRI sandboxes and containers (containerd, CRI-O) on this host. */
export class CriProvider implements Provider {
  private readonly pods = new Map<string, PodRecord>();
  private readonly busy = new Map<string, Promise<void>>();
  private readonly creating = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly cpuSampler = new CpuSampler();
  private readonly startedAt = new Date();
  private readonly logger: Logger;
  private callback?: (pod: V1Pod) => void;
  private timer?: NodeJS.Timeout;
  private cancelEvents?: () => void;

  private constructor(
    private readonly ctx: ProviderContext,
    private readonly config: CriConfig,
    private readonly cri: CriClient,
    private readonly version: VersionInfo,
  ) {
    this.logger = ctx.logger.child({ provider: 'cri' });
  }

  /** Connects to the runtime, adopts the pods an earlier process left running, starts the status loop. */
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
    await mkdir(config.podRoot, { recursive: true });
    for (const record of await adoptPods(
      cri,
      ctx.nodeName,
      config.podRoot,
      (pod, podDir) => provider.sandboxContext(podDir),
      async (pod, podDir) => volumeHostPaths(pod, podDir),
      provider.logger,
      provider.stopping.signal,
    )) {
      provider.pods.set(record.id.uid, record);
    }
    provider.logger.info('connected to CRI runtime', {
      runtime: `${version.runtime_name} ${version.runtime_version}`,
      adopted: provider.pods.size,
    });
    provider.startLoop();
    return provider;
  }

  private sandboxContext(podDir: string): SandboxContext {
    return {
      nodeName: this.ctx.nodeName,
      cgroupParent: this.config.cgroupParent,
      logDirectory: join(podDir, 'logs'),
      clusterDomain: this.ctx.clusterDomain,
      clusterDNS: this.config.clusterDNS,
    };
  }

  private startLoop(): void {
    this.timer = setInterval(() => {
      for (const record of this.pods.values()) void this.kick(record);
    }, this.config.statusIntervalMs);
    this.timer.unref();
    this.subscribeEvents();
  }

  /** Container events make status changes show at once; runtimes without them (containerd 1.6) are polled. */
  private subscribeEvents(): void {
    this.cancelEvents = this.cri.containerEvents(
      event => {
        const sandboxId = event.pod_sandbox_status?.id;
        for (const record of this.pods.values())
          if (!sandboxId || record.sandboxId === sandboxId) void this.kick(record);
      },
      error => {
        this.cancelEvents = undefined;
        if (this.stopping.signal.aborted) return;
        this.logger.debug('container events unavailable; polling only', {
          error: error?.details ?? 'stream ended',
        });
      },
    );
  }

  /** Runs one sync of the pod unless one is in flight, then notifies core if its status changed. */
  private kick(record: PodRecord): Promise<void> {
    const running = this.busy.get(record.id.uid);
    if (running) return running;
    // Once deletion starts it owns the record: a late sync could write back a stale running state.
    if (record.deleting) return Promise.resolve();
    const task = (async () => {
      try {
        await syncPod(record, {
          cri: this.cri,
          nodeName: this.ctx.nodeName,
          backoff: this.config.backoff,
          logger: this.logger,
          signal: this.stopping.signal,
        });
      } catch (error) {
        if (!this.stopping.signal.aborted) {
          this.logger.warn('pod sync failed', {
            pod: `${record.id.namespace}/${record.id.name}`,
            error: String(error),
          });
        }
      } finally {
        this.busy.delete(record.id.uid);
      }
      if (!record.deleting) this.notify(record);
    })();
    this.busy.set(record.id.uid, task);
    return task;
  }

  private notify(record: PodRecord): void {
    const status = this.statusOf(record);
    const json = JSON.stringify(status);
    if (json === record.lastNotified) return;
    record.lastNotified = json;
    this.callback?.({ ...record.pod, status });
  }

  private statusOf(record: PodRecord): V1PodStatus {
    return podStatus(record, this.ctx.internalIP);
  }

  async createPod(pod: V1Pod, options: CallOptions): Promise<void> {
    const id = podIdentity(pod);
    if (this.pods.has(id.uid)) return;
    // Concurrent creates of one UID share one attempt, so only one sandbox is ever asked for.
    const inFlight = this.creating.get(id.uid);
    if (inFlight) return inFlight;
    const attempt = this.startPod(pod, id, options).finally(() => this.creating.delete(id.uid));
    this.creating.set(id.uid, attempt);
    return attempt;
  }

  private async startPod(pod: V1Pod, id: PodIdentity, options: CallOptions): Promise<void> {
    if (!pod.spec) throw new InvalidInputError(`pod ${id.namespace}/${id.name} has no spec`);
    if (!pod.spec?.containers?.length)
      throw new InvalidInputError(`pod ${id.namespace}/${id.name} has no containers`);
    const podDir = join(this.config.podRoot, id.uid);
    const config = sandboxConfig(pod, this.sandboxContext(podDir));
    let hostPaths: Map<string, string>;
    let sandboxId: string;
    try {
      await mkdir(join(podDir, 'logs'), { recursive: true });
      hostPaths = await prepareVolumes(pod, podDir, this.ctx.resources);
      const o = { signal: options.signal };
      // A sandbox from an interrupted earlier attempt is reused rather than duplicated.
      const existing = (
        await this.cri.listPodSandbox({ [LABEL_NODE]: this.ctx.nodeName, [LABEL_POD_UID]: id.uid }, o)
      ).find(s => s.state === 'SANDBOX_READY');
      sandboxId = existing?.id ?? (await this.cri.runPodSandbox(config, o));
    } catch (error) {
      // Core retries or gives up; either way no half-written pod directory stays behind.
      await rm(podDir, { recursive: true, force: true });
      throw error;
    }
    const record: PodRecord = {
      pod,
      id,
      podDir,
      sandboxConfig: config,
      sandboxId,
      sandboxReady: true,
      createdAt: new Date(),
      hostPaths,
      init: (pod.spec.initContainers ?? []).map(c => newContainerRecord('init', c)),
      app: pod.spec.containers.map(c => newContainerRecord('app', c)),
      deleting: false,
    };
    this.pods.set(id.uid, record);
    void this.kick(record);
  }

  async updatePod(pod: V1Pod, _options?: CallOptions): Promise<void> {
    const record = this.pods.get(podIdentity(pod).uid);
    if (!record) throw new NotFoundError(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} not found`);
    // Labels and annotations are informational; a changed image restarts that container (the only
    // container field the API server lets change on a running pod).
    for (const container of pod.spec?.containers ?? []) {
      const current = record.app.find(c => c.spec.name === container.name);
      if (current && container.image && container.image !== (current.replaceWith ?? current.spec).image) {
        current.replaceWith = container;
      }
    }
    record.pod = { ...record.pod, metadata: pod.metadata, spec: pod.spec ?? record.pod.spec };
    void this.kick(record);
  }

  async deletePod(pod: V1Pod, options: CallOptions): Promise<void> {
    const record =
      this.pods.get(pod.metadata?.uid ?? '') ??
      this.find(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '');
    if (!record) throw new NotFoundError(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} not found`);
    record.deleting = true;
    await this.busy.get(record.id.uid);
    const o = { signal: options.signal };
    const grace =
      pod.metadata?.deletionGracePeriodSeconds ?? record.pod.spec?.terminationGracePeriodSeconds ?? 30;
    const live = [...record.init, ...record.app].filter(c => c.id && c.status?.state !== 'CONTAINER_EXITED');
    await Promise.all(live.map(c => this.stopExitingContainer(c.id!, grace, o)));
    for (const c of [...record.init, ...record.app]) {
      if (c.id) c.status = await this.cri.containerStatus(c.id, o).catch(() => c.status);
      c.waiting = undefined;
      if (c.id && c.status && c.status.state !== 'CONTAINER_EXITED') {
        this.logger.warn('container not reported exited after stop', {
          container: c.spec.name,
          state: c.status.state,
        });
        // As kubelet does for containers it cannot account for at deletion: terminated, unknown.
        c.status = {
          ...c.status,
          state: 'CONTAINER_EXITED',
          exit_code: 137,
          reason: 'ContainerStatusUnknown',
          finished_at: String(BigInt(Date.now()) * 1_000_000n),
        };
      }
    }
    await this.cri.stopPodSandbox(record.sandboxId, o).catch(ignoreNotFound);
    await this.cri.removePodSandbox(record.sandboxId, o).catch(ignoreNotFound);
    await rm(record.podDir, { recursive: true, force: true });
    this.pods.delete(record.id.uid);
    record.sandboxReady = false;
    const status = this.statusOf(record);
    this.callback?.({ ...record.pod, status });
  }

  /**
   * StopContainer of a container that is exiting on its own (a restart loop) can fail with the shim's
   * connection closing under it ("ttrpc: closed"): stopped is stopped, so that is not an error when
   * the container is gone or exited afterwards.
   */
  private async stopExitingContainer(id: string, grace: number, o: { signal: AbortSignal }): Promise<void> {
    try {
      await this.cri.stopContainer(id, grace, o);
    } catch (error) {
      if (error instanceof NotFoundError) return;
      const status = await this.cri.containerStatus(id, o).catch((statusError: unknown) => {
        if (statusError instanceof NotFoundError) return undefined;
        throw error;
      });
      if (status !== undefined && status.state !== 'CONTAINER_EXITED') throw error;
    }
  }

  async getPod(namespace: string, name: string, _options?: CallOptions): Promise<V1Pod> {
    const record = this.require(namespace, name);
    return { ...record.pod, status: this.statusOf(record) };
  }

  async getPodStatus(namespace: string, name: string, _options?: CallOptions): Promise<V1PodStatus> {
    return this.statusOf(this.require(namespace, name));
  }

  async getPods(_options?: CallOptions): Promise<V1Pod[]> {
    return [...this.pods.values()].map(record => ({ ...record.pod, status: this.statusOf(record) }));
  }

  notifyPods(callback: (pod: V1Pod) => void): void {
    this.callback = callback;
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
    pod: PodRef,
    container: string,
    options: ContainerLogOptions & CallOptions,
  ): Promise<AsyncIterable<LogItem>> {
    const record = this.require(pod.namespace, pod.name);
    const c = this.container(record, container);
    const attempt = options.previous ? c.attempt - 1 : c.attempt;
    if (options.previous && (!c.previousId || attempt < 0)) {
      throw new NotFoundError(`previous terminated container "${container}" in pod "${pod.name}" not found`);
    }
    if (!c.id) throw new NotFoundError(`container "${container}" in pod "${pod.name}" has not started yet`);
    const currentId = c.id;
    const path = join(record.podDir, 'logs', container, `${attempt}.log`);
    return readCriLog(path, {
      follow: options.follow && !options.previous,
      signal: options.signal,
      isRunning: () =>
        this.pods.has(record.id.uid) && c.id === currentId && c.status?.state !== 'CONTAINER_EXITED',
    });
  }

  async runInContainer(
    pod: PodRef,
    container: string,
    command: string[],
    io: AttachIO,
    options: CallOptions,
  ): Promise<number> {
    const id = this.runningContainerId(pod, container);
    const url = await this.cri.exec(
      {
        container_id: id,
        cmd: command,
        tty: io.tty,
        stdin: Boolean(io.stdin),
        stdout: Boolean(io.stdout),
        stderr: Boolean(io.stderr) && !io.tty,
      },
      { signal: options.signal },
    );
    return runRemoteCommandSpdy(url, io, options.signal);
  }

  async attachToContainer(pod: PodRef, container: string, io: AttachIO, options: CallOptions): Promise<void> {
    const id = this.runningContainerId(pod, container);
    const url = await this.cri.attach(
      {
        container_id: id,
        tty: io.tty,
        stdin: Boolean(io.stdin),
        stdout: Boolean(io.stdout),
        stderr: Boolean(io.stderr) && !io.tty,
      },
      { signal: options.signal },
    );
    await runRemoteCommandSpdy(url, io, options.signal);
  }

  async portForward(pod: PodRef, port: number, stream: Duplex, options: CallOptions): Promise<void> {
    const record = this.require(pod.namespace, pod.name);
    const url = await this.cri.portForward(record.sandboxId, [port], { signal: options.signal });
    await runPortForward(url, port, stream, options.signal);
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
      [...this.pods.values()],
      stats,
      this.cpuSampler,
      sandboxStats,
    );
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.cancelEvents?.();
    this.stopping.abort(new Error('provider closed'));
    await Promise.allSettled([...this.busy.values()]);
    this.cri.close();
  }

  private find(namespace: string, name: string): PodRecord | undefined {
    for (const record of this.pods.values()) {
      if (record.id.namespace === namespace && record.id.name === name) return record;
    }
    return undefined;
  }

  private require(namespace: string, name: string): PodRecord {
    const record = this.find(namespace, name);
    if (!record) throw new NotFoundError(`pod ${namespace}/${name} not found`);
    return record;
  }

  private container(record: PodRecord, name: string): ContainerRecord {
    const c = [...record.app, ...record.init].find(x => x.spec.name === name);
    if (!c) throw new NotFoundError(`container "${name}" is not in pod "${record.id.name}"`);
    return c;
  }

  private runningContainerId(pod: PodRef, container: string): string {
    const c = this.container(this.require(pod.namespace, pod.name), container);
    if (!c.id || c.status?.state !== 'CONTAINER_RUNNING') {
      throw new InvalidInputError(`container "${container}" in pod "${pod.name}" is not running`);
    }
    return c.id;
  }
}

function ignoreNotFound(error: unknown): void {
  if (!(error instanceof NotFoundError)) throw error;
}
