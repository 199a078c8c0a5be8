import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { status as grpcStatus } from '@grpc/grpc-js';
import type { V1Pod } from '@kubernetes/client-node';
import {
  isNotFound,
  podIdentity,
  type BackendEvents,
  type CallOptions,
  type Logger,
  type PodBackend,
  type PodObservation,
  type ProviderContext,
} from '@vkubelet/provider-kit';

import type { CriConfig } from './config.js';
import { ignoreNotFound, type CriApi } from './cri/client.js';
import type { RuntimeHealth } from './cri/health.js';
import { LABEL_NODE, LABEL_POD_UID } from './labels.js';
import { adoptPods, DELETE_MARKER, sandboxRecord, type AdoptionContext } from './pod/adopt.js';
import { recordFromLogs } from './pod/log-attempts.js';
import type { CriPod, SandboxRecord } from './pod/record.js';
import { sandboxConfig, type SandboxContext } from './pod/sandbox-config.js';
import { lostStatus, observePod } from './pod/status.js';
import { syncPod } from './pod/sync.js';
import { prepareVolumes, volumeHostPaths } from './pod/volumes.js';

/** Time before the event stream is opened again after it ended. */
const EVENTS_RETRY_MS = 1_000;

/**
 * Pods as CRI sandboxes and containers: create makes the pod directory, its volumes and the sandbox;
 * `sync` (the state machine of pod/sync.ts) starts, restarts and replaces containers from what the
 * runtime reports; delete stops them and removes the sandbox and the directory. Container events
 * make the runtime sync a pod at once.
 */
export class CriBackend implements PodBackend<SandboxRecord> {
  /** Which pod a sandbox belongs to, for container events. */
  private readonly podBySandbox = new Map<string, string>();

  constructor(
    private readonly ctx: ProviderContext,
    private readonly config: CriConfig,
    private readonly cri: CriApi,
    private readonly health: RuntimeHealth,
    private readonly logger: Logger,
  ) {}

  sandboxContext(podDir: string): SandboxContext {
    return {
      nodeName: this.ctx.nodeName,
      cgroupParent: this.config.cgroupParent,
      logDirectory: join(podDir, 'logs'),
      clusterDomain: this.ctx.clusterDomain,
      clusterDNS: this.config.clusterDNS,
    };
  }

  async create(pod: V1Pod, options: CallOptions): Promise<SandboxRecord> {
    const { uid } = podIdentity(pod);
    const spec = pod.spec!;
    const podDir = join(this.config.podRoot, uid);
    const logDirectory = join(podDir, 'logs');
    let state: SandboxRecord;
    try {
      await mkdir(logDirectory, { recursive: true });
      const hostPaths = await prepareVolumes(pod, podDir, this.ctx.resources);
      const existing = await this.cri.listPodSandbox(
        { [LABEL_NODE]: this.ctx.nodeName, [LABEL_POD_UID]: uid },
        options,
      );
      // A ready sandbox from an interrupted earlier create is taken as it is rather than duplicated;
      // one that is not ready goes, so that the pod never has two.
      const ready = existing.find(s => s.state === 'SANDBOX_READY');
      for (const sandbox of existing.filter(s => s !== ready)) {
        await this.cri.stopPodSandbox(sandbox.id, options).catch(ignoreNotFound);
        await this.cri.removePodSandbox(sandbox.id, options).catch(ignoreNotFound);
      }
      if (ready) {
        state = await sandboxRecord(
          { ...this.adoptionContext(options.signal), hostPaths: async () => hostPaths },
          ready,
          pod,
          podDir,
        );
      } else {
        const attempt = Math.max(-1, ...existing.map(s => s.metadata.attempt)) + 1;
        const config = sandboxConfig(pod, this.sandboxContext(podDir), attempt);
        state = {
          podDir,
          sandboxConfig: config,
          sandboxId: await this.cri.runPodSandbox(config, options),
          sandboxReady: true,
          createdAt: new Date(),
          hostPaths,
          init: await Promise.all(
            (spec.initContainers ?? []).map(c => recordFromLogs('init', c, logDirectory)),
          ),
          app: await Promise.all(spec.containers.map(c => recordFromLogs('app', c, logDirectory))),
        };
      }
    } catch (error) {
      // Core retries or gives up; either way no half-written pod directory stays behind.
      await rm(podDir, { recursive: true, force: true });
      throw error;
    }
    this.podBySandbox.set(state.sandboxId, uid);
    return state;
  }

  /**
   * Labels and annotations are informational; a changed image restarts that container on the next
   * sync (the only container field the API server lets change on a running pod).
   */
  async update(pod: V1Pod, record: CriPod): Promise<void> {
    for (const container of pod.spec?.containers ?? []) {
      const current = record.state.app.find(c => c.spec.name === container.name);
      if (current && container.image && container.image !== (current.replaceWith ?? current.spec).image) {
        current.replaceWith = container;
      }
    }
  }

  /** While the runtime is away nothing can be read or done: the pod keeps its last status. */
  async sync(record: CriPod, options: CallOptions): Promise<void> {
    if (!this.health.reachable) return;
    const sandboxBefore = record.state.sandboxId;
    try {
      await syncPod(record, {
        cri: this.cri,
        nodeName: this.ctx.nodeName,
        backoff: this.config.backoff,
        logger: this.logger,
        signal: options.signal,
      });
    } finally {
      if (record.state.sandboxId !== sandboxBefore) {
        this.podBySandbox.delete(sandboxBefore);
        this.podBySandbox.set(record.state.sandboxId, record.uid);
      }
    }
  }

  async delete(record: CriPod, options: CallOptions): Promise<SandboxRecord> {
    const { state } = record;
    const grace =
      record.pod.metadata?.deletionGracePeriodSeconds ?? record.pod.spec?.terminationGracePeriodSeconds ?? 30;
    // A restarted agent finds the marker and starts nothing of a pod whose delete it interrupted.
    await writeFile(join(state.podDir, DELETE_MARKER), '').catch(() => undefined);
    const containers = [...state.init, ...state.app].filter(c => !c.removed);
    const live = containers.filter(c => c.id && c.status?.state !== 'CONTAINER_EXITED');
    await Promise.all(live.map(c => this.stopExitingContainer(c.id!, grace, options)));
    for (const c of containers) {
      if (c.id) c.status = await this.cri.containerStatus(c.id, options).catch(() => c.status);
      c.waiting = undefined;
      if (c.id && c.status && c.status.state !== 'CONTAINER_EXITED') {
        this.logger.warn('container not reported exited after stop', {
          container: c.spec.name,
          state: c.status.state,
        });
        // As kubelet does for containers it cannot account for at deletion: terminated, unknown.
        c.status = lostStatus(c, 'the container could not be located when the pod was deleted');
      }
    }
    await this.cri.stopPodSandbox(state.sandboxId, options).catch(ignoreNotFound);
    await this.cri.removePodSandbox(state.sandboxId, options).catch(ignoreNotFound);
    await rm(state.podDir, { recursive: true, force: true });
    this.podBySandbox.delete(state.sandboxId);
    state.sandboxReady = false;
    return state;
  }

  /**
   * StopContainer of a container that is exiting on its own (a restart loop) can fail with the shim's
   * connection closing under it ("ttrpc: closed"): stopped is stopped, so that is not an error when
   * the container is gone or exited afterwards.
   */
  private async stopExitingContainer(id: string, grace: number, options: CallOptions): Promise<void> {
    try {
      await this.cri.stopContainer(id, grace, options);
    } catch (error) {
      if (isNotFound(error)) return;
      const status = await this.cri.containerStatus(id, options).catch((statusError: unknown) => {
        if (isNotFound(statusError)) return undefined;
        throw error;
      });
      if (status !== undefined && status.state !== 'CONTAINER_EXITED') throw error;
    }
  }

  async list(options: CallOptions): Promise<Array<{ pod: V1Pod; state: SandboxRecord }>> {
    await mkdir(this.config.podRoot, { recursive: true });
    const adopted = await adoptPods(this.adoptionContext(options.signal));
    for (const { pod, state } of adopted) this.podBySandbox.set(state.sandboxId, podIdentity(pod).uid);
    return adopted;
  }

  private adoptionContext(signal: AbortSignal): AdoptionContext {
    return {
      cri: this.cri,
      nodeName: this.ctx.nodeName,
      podRoot: this.config.podRoot,
      sandboxContext: (_pod, podDir) => this.sandboxContext(podDir),
      hostPaths: async (pod, podDir) => volumeHostPaths(pod, podDir),
      logger: this.logger,
      signal,
    };
  }

  /**
   * Container events make status changes show at once. The stream is opened again after the runtime
   * comes back (a containerd restart ends it), with a sync of every pod for what it missed; runtimes
   * without events (containerd 1.6) are polled only.
   */
  async watch(events: BackendEvents<SandboxRecord>, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const ended = await this.followEvents(events, signal);
      if (signal.aborted || ended === 'unsupported') return;
      try {
        await sleep(EVENTS_RETRY_MS, undefined, { signal });
        await this.health.whenReachable(signal);
      } catch {
        return; // aborted
      }
      for (const pod of events.pods.list()) events.syncSoon(pod.uid);
    }
  }

  private followEvents(
    events: BackendEvents<SandboxRecord>,
    signal: AbortSignal,
  ): Promise<'ended' | 'unsupported'> {
    return new Promise(resolve => {
      const cancel = this.cri.containerEvents(
        event => {
          const sandboxId = event.pod_sandbox_status?.id;
          const uid = sandboxId ? this.podBySandbox.get(sandboxId) : undefined;
          if (uid) events.syncSoon(uid);
          else if (!sandboxId) for (const pod of events.pods.list()) events.syncSoon(pod.uid);
        },
        error => {
          signal.removeEventListener('abort', abort);
          if (error?.code === grpcStatus.UNAVAILABLE) this.health.unreachable(error);
          if (error?.code === grpcStatus.UNIMPLEMENTED) {
            this.logger.debug('container events unavailable; polling only', { error: error.details });
            resolve('unsupported');
          } else resolve('ended');
        },
      );
      const abort = (): void => {
        cancel();
        resolve('ended');
      };
      signal.addEventListener('abort', abort, { once: true });
    });
  }

  observe(record: CriPod): PodObservation {
    return observePod(record);
  }

  close(): void {
    this.cri.close();
  }
}
