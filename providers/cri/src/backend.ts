import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

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
import type { CriClient } from './cri/client.js';
import { LABEL_NODE, LABEL_POD_UID } from './labels.js';
import { adoptPods } from './pod/adopt.js';
import { newContainerRecord, type CriPod, type SandboxRecord } from './pod/record.js';
import { sandboxConfig, type SandboxContext } from './pod/sandbox-config.js';
import { observePod } from './pod/status.js';
import { syncPod } from './pod/sync.js';
import { prepareVolumes, volumeHostPaths } from './pod/volumes.js';

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
    private readonly cri: CriClient,
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
    const config = sandboxConfig(pod, this.sandboxContext(podDir));
    let hostPaths: Map<string, string>;
    let sandboxId: string;
    try {
      await mkdir(join(podDir, 'logs'), { recursive: true });
      hostPaths = await prepareVolumes(pod, podDir, this.ctx.resources);
      // A sandbox from an interrupted earlier attempt is reused rather than duplicated.
      const existing = (
        await this.cri.listPodSandbox({ [LABEL_NODE]: this.ctx.nodeName, [LABEL_POD_UID]: uid }, options)
      ).find(s => s.state === 'SANDBOX_READY');
      sandboxId = existing?.id ?? (await this.cri.runPodSandbox(config, options));
    } catch (error) {
      // Core retries or gives up; either way no half-written pod directory stays behind.
      await rm(podDir, { recursive: true, force: true });
      throw error;
    }
    this.podBySandbox.set(sandboxId, uid);
    return {
      podDir,
      sandboxConfig: config,
      sandboxId,
      sandboxReady: true,
      createdAt: new Date(),
      hostPaths,
      init: (spec.initContainers ?? []).map(c => newContainerRecord('init', c)),
      app: spec.containers.map(c => newContainerRecord('app', c)),
    };
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

  async sync(record: CriPod, options: CallOptions): Promise<void> {
    await syncPod(record, {
      cri: this.cri,
      nodeName: this.ctx.nodeName,
      backoff: this.config.backoff,
      logger: this.logger,
      signal: options.signal,
    });
  }

  async delete(record: CriPod, options: CallOptions): Promise<SandboxRecord> {
    const { state } = record;
    const grace =
      record.pod.metadata?.deletionGracePeriodSeconds ?? record.pod.spec?.terminationGracePeriodSeconds ?? 30;
    const containers = [...state.init, ...state.app];
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
        c.status = {
          ...c.status,
          state: 'CONTAINER_EXITED',
          exit_code: 137,
          reason: 'ContainerStatusUnknown',
          finished_at: String(BigInt(Date.now()) * 1_000_000n),
        };
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
    const adopted = await adoptPods(
      this.cri,
      this.ctx.nodeName,
      this.config.podRoot,
      (_pod, podDir) => this.sandboxContext(podDir),
      async (pod, podDir) => volumeHostPaths(pod, podDir),
      this.logger,
      options.signal,
    );
    for (const { pod, state } of adopted) this.podBySandbox.set(state.sandboxId, podIdentity(pod).uid);
    return adopted;
  }

  /** Container events make status changes show at once; runtimes without them (containerd 1.6) are polled. */
  async watch(events: BackendEvents<SandboxRecord>, signal: AbortSignal): Promise<void> {
    await new Promise<void>(resolve => {
      const cancel = this.cri.containerEvents(
        event => {
          const sandboxId = event.pod_sandbox_status?.id;
          const uid = sandboxId ? this.podBySandbox.get(sandboxId) : undefined;
          if (uid) events.syncSoon(uid);
          else if (!sandboxId) for (const pod of events.pods.list()) events.syncSoon(pod.uid);
        },
        error => {
          if (!signal.aborted)
            this.logger.debug('container events unavailable; polling only', {
              error: error?.details ?? 'stream ended',
            });
          resolve();
        },
      );
      signal.addEventListener(
        'abort',
        () => {
          cancel();
          resolve();
        },
        { once: true },
      );
    });
  }

  observe(record: CriPod): PodObservation {
    return observePod(record);
  }

  close(): void {
    this.cri.close();
  }
}

function ignoreNotFound(error: unknown): void {
  if (!isNotFound(error)) throw error;
}
