import { randomUUID } from 'node:crypto';

import {
  parseMockSettings,
  PodRuntime,
  type ContainerLog,
  type ContainerRun,
} from '@vkubelet/provider-kit/mock';

import { Deployment } from './deployment.js';
import { EventLog } from './events.js';
import { podForGroup } from './pod.js';
import type { WireGroupRequest } from './wire.js';

/** What a group needs from the emulator around it; read at each step, so faults apply at once. */
export interface GroupHost {
  provisioningDelays(): { pendingMs: number; creatingMs: number };
  restartDelayMs(): number;
  /** True when pulling this image is set to fail (a fault switch). */
  imagePullFails(image: string): boolean;
}

/** What the emulator saw of a container last time, to turn state changes into ACI events. */
interface Observed {
  startedAt?: number;
  waiting?: string;
}

/**
 * A container group: its spec as last PUT, its current deployment (the provisioningState), and the
 * mock runtime running its containers. Pending and Creating last the configured delays; the
 * deployment succeeds once Creating has lasted its time and an app container has started (or the
 * group has already run to its end).
 */
export class ContainerGroupRecord {
  deployment: Deployment;
  runtime: PodRuntime | undefined;
  stopped = false;
  /** Set while an asynchronous DELETE runs. */
  deleting = false;
  /** Per-container events of the current deployment; a redeploy starts afresh, as new instances. */
  containerEvents = new Map<string, EventLog>();
  readonly groupEvents = new EventLog();
  private observed = new Map<string, Observed>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly id: string,
    readonly resourceGroup: string,
    readonly name: string,
    public request: WireGroupRequest,
    readonly ip: string | undefined,
    private readonly host: GroupHost,
  ) {
    this.deployment = new Deployment();
  }

  get provisioningState(): string {
    return this.deleting ? 'Deleting' : this.deployment.state;
  }

  /** `instanceView.state` of the group. */
  get state(): string {
    if (this.stopped) return 'Stopped';
    if (this.deployment.state === 'Failed') return 'Failed';
    if (!this.runtime || this.deployment.state === 'Pending') return 'Pending';
    return this.runtime.status().phase ?? 'Pending';
  }

  /** Starts a deployment of the current spec (create, update, restart, start), replacing any running one. */
  deploy(): Deployment {
    this.deployment.cancel();
    this.halt();
    const deployment = new Deployment();
    this.deployment = deployment;
    this.stopped = false;
    this.runtime = undefined;
    this.containerEvents = new Map();
    this.observed = new Map();
    const { pendingMs, creatingMs } = this.host.provisioningDelays();
    this.after(pendingMs, () => this.create(deployment, creatingMs));
    return deployment;
  }

  /** Stops every container (ARM's stop); the group keeps its spec and can be started again. */
  stop(): void {
    this.deployment.cancel();
    this.halt();
    this.stopped = true;
  }

  /** The group is deleted: nothing may run or fire any more. */
  remove(): void {
    this.deployment.cancel();
    this.halt();
  }

  /** Makes a running container exit with `exitCode` (a fault switch); false when it does not run. */
  exitContainer(container: string, exitCode: number): boolean {
    return this.runtime?.exitContainer(container, exitCode) ?? false;
  }

  container(name: string): ContainerRun | undefined {
    return this.runtime?.containers.get(name);
  }

  /** The log of a container's current run. */
  currentLog(name: string): ContainerLog | undefined {
    return this.container(name)?.logs.at(-1);
  }

  containerNames(): string[] {
    const properties = this.request.properties;
    return [...(properties.initContainers ?? []), ...properties.containers].map(container => container.name);
  }

  private create(deployment: Deployment, creatingMs: number): void {
    deployment.state = 'Creating';
    const properties = this.request.properties;
    const images = [...(properties.initContainers ?? []), ...properties.containers].map(container => ({
      name: container.name,
      image: container.properties.image ?? '',
    }));
    for (const { name, image } of images) this.events(name).record('Pulling', `pulling image "${image}"`);
    const failing = images.find(({ image }) => this.host.imagePullFails(image));
    if (failing) {
      const message = `Failed to pull image "${failing.image}": not found`;
      this.events(failing.name).record('Failed', message, 'Warning');
      this.events(failing.name).record('BackOff', `Back-off pulling image "${failing.image}"`, 'Warning');
      this.after(creatingMs, () => deployment.fail({ code: 'ContainerGroupDeploymentFailed', message }));
      return;
    }
    for (const { name, image } of images)
      this.events(name).record('Pulled', `Successfully pulled image "${image}"`);
    const runtime = new PodRuntime(podForGroup(this.resourceGroup, this.name, randomUUID(), properties), {
      settings: parseMockSettings({ startupDelayMs: 0, restartDelayMs: this.host.restartDelayMs() }),
      podIP: this.ip ?? '10.0.0.4',
      hostIP: '10.0.0.1',
      changed: changed => this.observe(deployment, changed),
      exitable: true,
    });
    this.runtime = runtime;
    runtime.start();
    this.after(creatingMs, () => {
      deployment.creatingElapsed = true;
      this.settle(deployment, runtime);
    });
  }

  private observe(deployment: Deployment, runtime: PodRuntime): void {
    if (this.runtime !== runtime) return;
    for (const run of runtime.containers.values()) {
      const seen = this.observed.get(run.spec.name) ?? {};
      const startedAt = run.state.running?.startedAt;
      if (startedAt && new Date(startedAt).getTime() !== seen.startedAt) {
        seen.startedAt = new Date(startedAt).getTime();
        this.events(run.spec.name).record('Created', 'Created container');
        this.events(run.spec.name).record('Started', 'Started container');
      }
      const waiting = run.state.waiting?.reason;
      if (waiting === 'CrashLoopBackOff' && seen.waiting !== waiting) {
        this.events(run.spec.name).record('BackOff', 'Back-off restarting failed container', 'Warning');
      }
      seen.waiting = waiting;
      this.observed.set(run.spec.name, seen);
    }
    this.settle(deployment, runtime);
  }

  private settle(deployment: Deployment, runtime: PodRuntime): void {
    if (deployment.state !== 'Creating' || !deployment.creatingElapsed) return;
    const appStarted = runtime
      .appContainers()
      .some(
        run => run.restartCount > 0 || run.state.running !== undefined || run.state.terminated !== undefined,
      );
    if (appStarted || runtime.terminal) deployment.state = 'Succeeded';
  }

  private events(container: string): EventLog {
    let log = this.containerEvents.get(container);
    if (!log) {
      log = new EventLog();
      this.containerEvents.set(container, log);
    }
    return log;
  }

  private after(ms: number, step: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      step();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  /** Clears pending steps and stops the containers; their last states stay for the instance view. */
  private halt(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.runtime?.stop();
  }
}
