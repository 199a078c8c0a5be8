import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { NotFoundError } from '@vkubelet/provider-kit';

import type { CriApi } from '../../../src/cri/client.js';
import type {
  Container,
  ContainerConfig,
  ContainerState,
  ContainerStatus,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxState,
  PodSandboxStatus,
} from '../../../src/cri/types.js';

interface MemorySandbox {
  id: string;
  config: PodSandboxConfig;
  state: PodSandboxState;
  createdAt: bigint;
  ip: string;
}

interface MemoryContainer {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  state: ContainerState;
  exitCode: number;
  reason: string;
  message: string;
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
}

const ns = (): bigint => BigInt(Date.now()) * 1_000_000n;

function matches(labels: Record<string, string>, selector: Record<string, string> = {}): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/**
 * containerd as the CRI shows it, in memory: sandboxes with their containers, states, attempts and
 * the name reservation (one container per name and attempt in a sandbox), for the sync's unit tests.
 * Every mutating call is logged in `calls`. Tests move objects into any state with `set*`.
 */
export class MemoryRuntime implements CriApi {
  readonly sandboxes = new Map<string, MemorySandbox>();
  readonly containers = new Map<string, MemoryContainer>();
  readonly calls: string[] = [];
  /** Container names whose next StartContainer fails as the runtime words it (exec not found ...). */
  readonly failStart = new Map<string, string>();
  /** Container names whose next StartContainer is cancelled on the client, as when the agent gives up. */
  readonly cancelStart = new Set<string>();
  /** How many of the next RunPodSandbox calls fail (CNI trouble). */
  failRunSandbox = 0;
  /** The most sandboxes one pod had at once. */
  mostSandboxesOfAPod = 0;
  private nextId = 1;

  private id(prefix: string): string {
    return `${prefix}${String(this.nextId++).padStart(4, '0')}`;
  }

  private sandbox(id: string): MemorySandbox {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) throw new NotFoundError(`CRI: an error occurred when try to find sandbox ${id}: not found`);
    return sandbox;
  }

  private container(id: string): MemoryContainer {
    const container = this.containers.get(id);
    if (!container)
      throw new NotFoundError(`CRI: an error occurred when try to find container ${id}: not found`);
    return container;
  }

  /** The containers of a sandbox, by name. */
  containersOf(sandboxId: string, name?: string): MemoryContainer[] {
    return [...this.containers.values()].filter(
      c => c.sandboxId === sandboxId && (name === undefined || c.config.metadata.name === name),
    );
  }

  /** Moves a container into a state, as the runtime would report it. */
  setContainer(
    id: string,
    change: Partial<Pick<MemoryContainer, 'state' | 'exitCode' | 'reason' | 'message'>>,
  ) {
    const container = this.container(id);
    Object.assign(container, change);
    if (change.state === 'CONTAINER_EXITED') container.finishedAt = ns();
  }

  /** The pause task died: the sandbox is not ready and its containers exit (as containerd 1.6 does). */
  killSandbox(id: string): void {
    const sandbox = this.sandbox(id);
    sandbox.state = 'SANDBOX_NOTREADY';
    for (const c of this.containersOf(id)) {
      if (c.state === 'CONTAINER_RUNNING')
        Object.assign(c, { state: 'CONTAINER_EXITED', exitCode: 137, finishedAt: ns() });
    }
  }

  /** Removed behind the provider's back, with its containers. */
  dropSandbox(id: string): void {
    for (const c of this.containersOf(id)) this.containers.delete(c.id);
    this.sandboxes.delete(id);
  }

  async version() {
    return { version: 'v1', runtime_name: 'memory', runtime_version: '1', runtime_api_version: 'v1' };
  }

  async status() {
    return [{ type: 'RuntimeReady', status: true, reason: '', message: '' }];
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    if (this.failRunSandbox > 0) {
      this.failRunSandbox--;
      throw new Error('CRI RunPodSandbox: failed to setup network for sandbox: plugin type="bridge" failed');
    }
    const id = this.id('sb');
    const uid = config.labels['io.kubernetes.pod.uid'];
    const others = [...this.sandboxes.values()].filter(s => s.config.labels['io.kubernetes.pod.uid'] === uid);
    this.mostSandboxesOfAPod = Math.max(this.mostSandboxesOfAPod, others.length + 1);
    this.calls.push(`RunPodSandbox ${config.metadata.name} attempt=${config.metadata.attempt}`);
    this.sandboxes.set(id, {
      id,
      config,
      state: 'SANDBOX_READY',
      createdAt: ns(),
      ip: `10.0.0.${this.nextId}`,
    });
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const sandbox = this.sandbox(id);
    this.calls.push(`StopPodSandbox attempt=${sandbox.config.metadata.attempt}`);
    for (const c of this.containersOf(id)) {
      if (c.state === 'CONTAINER_RUNNING')
        Object.assign(c, { state: 'CONTAINER_EXITED', exitCode: 137, finishedAt: ns() });
    }
    sandbox.state = 'SANDBOX_NOTREADY';
  }

  async removePodSandbox(id: string): Promise<void> {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) return; // containerd: removing a missing sandbox succeeds
    this.calls.push(`RemovePodSandbox attempt=${sandbox.config.metadata.attempt}`);
    this.dropSandbox(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const s = this.sandbox(id);
    return {
      ...this.toSandbox(s),
      network: { ip: s.state === 'SANDBOX_READY' ? s.ip : '', additional_ips: [] },
    };
  }

  async listPodSandbox(labelSelector: Record<string, string>): Promise<PodSandbox[]> {
    return [...this.sandboxes.values()]
      .filter(s => matches(s.config.labels, labelSelector))
      .map(s => this.toSandbox(s));
  }

  private toSandbox(s: MemorySandbox): PodSandbox {
    return {
      id: s.id,
      metadata: s.config.metadata,
      state: s.state,
      created_at: String(s.createdAt),
      labels: s.config.labels,
      annotations: s.config.annotations,
    };
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    const sandbox = this.sandbox(sandboxId);
    if (sandbox.state !== 'SANDBOX_READY')
      throw new Error(`CRI CreateContainer: sandbox ${sandboxId} is not ready`);
    const { name, attempt } = config.metadata;
    if (this.containersOf(sandboxId, name).some(c => c.config.metadata.attempt === attempt))
      throw new Error(`CRI CreateContainer: name ${name}_${attempt} is reserved`);
    const id = this.id('c');
    this.calls.push(`CreateContainer ${name} attempt=${attempt}`);
    this.containers.set(id, {
      id,
      sandboxId,
      config,
      state: 'CONTAINER_CREATED',
      exitCode: 0,
      reason: '',
      message: '',
      createdAt: ns(),
      startedAt: 0n,
      finishedAt: 0n,
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.container(id);
    this.calls.push(`StartContainer ${c.config.metadata.name}`);
    if (c.state !== 'CONTAINER_CREATED')
      throw new Error(`CRI StartContainer: container is in ${c.state} state`);
    if (this.cancelStart.delete(c.config.metadata.name)) {
      Object.assign(c, {
        state: 'CONTAINER_EXITED',
        exitCode: 128,
        reason: 'StartError',
        message: 'failed to create containerd task: failed to create shim task: context canceled: unknown',
        finishedAt: ns(),
      });
      throw new Error('CRI StartContainer: Cancelled on client', { cause: { code: 1 } });
    }
    const failure = this.failStart.get(c.config.metadata.name);
    if (failure !== undefined) {
      Object.assign(c, {
        state: 'CONTAINER_EXITED',
        exitCode: 128,
        reason: 'StartError',
        message: failure,
        finishedAt: ns(),
      });
      throw new Error(`CRI StartContainer: ${failure}`);
    }
    const pod = c.config.labels['io.kubernetes.pod.uid'];
    const twin = [...this.containers.values()].find(
      o =>
        o.state === 'CONTAINER_RUNNING' &&
        o.config.labels['io.kubernetes.pod.uid'] === pod &&
        o.config.metadata.name === c.config.metadata.name,
    );
    if (twin) throw new Error(`two instances of ${c.config.metadata.name} would run at once`);
    // containerd opens the log file when it starts the container.
    const log = join(this.sandbox(c.sandboxId).config.log_directory, c.config.log_path);
    await mkdir(dirname(log), { recursive: true });
    await appendFile(log, '');
    Object.assign(c, { state: 'CONTAINER_RUNNING', startedAt: ns() });
  }

  async stopContainer(id: string): Promise<void> {
    const c = this.container(id);
    this.calls.push(`StopContainer ${c.config.metadata.name}`);
    if (c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_UNKNOWN')
      Object.assign(c, { state: 'CONTAINER_EXITED', exitCode: 137, finishedAt: ns() });
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.calls.push(`RemoveContainer ${c.config.metadata.name} attempt=${c.config.metadata.attempt}`);
    this.containers.delete(id);
  }

  async listContainers(filter: {
    pod_sandbox_id?: string;
    label_selector?: Record<string, string>;
  }): Promise<Container[]> {
    return [...this.containers.values()]
      .filter(
        c =>
          (!filter.pod_sandbox_id || c.sandboxId === filter.pod_sandbox_id) &&
          matches(c.config.labels, filter.label_selector),
      )
      .map(c => ({
        id: c.id,
        pod_sandbox_id: c.sandboxId,
        metadata: c.config.metadata,
        image: c.config.image,
        image_ref: `sha256:${c.config.image.image}`,
        state: c.state,
        created_at: String(c.createdAt),
        labels: c.config.labels,
        annotations: c.config.annotations,
      }));
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const c = this.container(id);
    return {
      id: c.id,
      metadata: c.config.metadata,
      state: c.state,
      created_at: String(c.createdAt),
      started_at: String(c.startedAt),
      finished_at: String(c.finishedAt),
      exit_code: c.exitCode,
      image: c.config.image,
      image_ref: `sha256:${c.config.image.image}`,
      reason: c.reason,
      message: c.message,
      labels: c.config.labels,
      annotations: c.config.annotations,
      log_path: c.config.log_path,
    };
  }

  async imagePresent(): Promise<boolean> {
    return true;
  }

  async pullImage(image: string): Promise<string> {
    return `sha256:${image}`;
  }

  async exec(): Promise<string> {
    throw new Error('not in the memory runtime');
  }

  async attach(): Promise<string> {
    throw new Error('not in the memory runtime');
  }

  async portForward(): Promise<string> {
    throw new Error('not in the memory runtime');
  }

  async listContainerStats(): Promise<never[]> {
    return [];
  }

  async listPodSandboxStats(): Promise<never[]> {
    return [];
  }

  containerEvents(): () => void {
    return () => undefined;
  }

  close(): void {}
}
