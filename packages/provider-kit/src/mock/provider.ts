import type { V1Node, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { Duplex } from 'node:stream';

import { InvalidInputError, NotFoundError, TransientError } from '../errdefs/index.js';
import type { AttachIO, CallOptions, ContainerLogOptions, LogItem, PodRef, Provider } from '../provider.js';
import type { StatsSummary } from '../stats.js';
import { MockBackend } from './backend.js';
import { FaultInjector } from './faults.js';
import { configureMockNode, nodeConditions } from './node.js';
import { parseMockSettings, type MockSettings, type MockSettingsInput } from './options.js';
import type { ContainerLog } from './container-log.js';
import { PodRuntime, type ContainerRun } from './pod-runtime.js';
import { CallLog } from './call-log.js';
import { buildStatsSummary } from './stats.js';
import { attachToRun, execInContainer, findContainer, serveForwardedPort } from './streams.js';

/** Options of `new MockProvider()`: the JSON settings plus where the mock lives. */
export interface MockProviderOptions extends MockSettingsInput {
  /** Share one backend between instances to simulate an agent restart; a fresh one by default. */
  backend?: MockBackend;
  nodeName?: string;
  /** The node's InternalIP, also every pod's hostIP. */
  internalIP?: string;
  operatingSystem?: string;
  daemonPort?: number;
}

/**
 * An in-memory provider that behaves like a small container runtime: pods go Pending → Running →
 * Succeeded/Failed with container states, exit codes and restart counts; containers run a tiny
 * shell (see `script.ts`) for their command, exec, logs and attach; port-forward echoes; stats are
 * deterministic. Latency and failures can be injected per operation. Safe under concurrent calls:
 * every check-and-change of the pod table happens without an `await` in between.
 */
export class MockProvider implements Provider {
  readonly backend: MockBackend;
  readonly settings: MockSettings;
  readonly nodeName: string;
  /** Present unless the `notifier: false` option is given, so core polls in that case. */
  readonly notifyPods?: (callback: (pod: V1Pod) => void) => void;
  private readonly faults: FaultInjector;
  private readonly identity: { internalIP: string; operatingSystem: string; daemonPort?: number };
  private unsubscribe: (() => void) | undefined;
  private nodeCallback: ((node: V1Node) => void) | undefined;
  private configuredNode: V1Node | undefined;
  private healthy = true;
  private readonly callLog: CallLog | undefined;

  constructor(options: MockProviderOptions = {}) {
    const { backend, nodeName, internalIP, operatingSystem, daemonPort, ...settings } = options;
    this.settings = parseMockSettings(settings);
    this.backend = backend ?? new MockBackend();
    this.nodeName = nodeName ?? 'vkubelet-mock-0';
    this.identity = {
      internalIP: internalIP ?? '10.0.0.1',
      operatingSystem: operatingSystem ?? 'linux',
      ...(daemonPort !== undefined ? { daemonPort } : {}),
    };
    this.faults = new FaultInjector(this.settings);
    this.callLog = this.settings.callLog ? new CallLog(this.settings.callLog) : undefined;
    if (this.settings.notifier) {
      this.notifyPods = callback => {
        this.unsubscribe?.();
        this.unsubscribe = this.backend.subscribe(callback);
      };
    }
  }

  async createPod(pod: V1Pod, options: CallOptions): Promise<void> {
    const { namespace, name, uid } = identify(pod);
    this.callLog?.record('createPod', namespace, name);
    await this.faults.before('createPod', options.signal);
    const existing = this.backend.get(namespace, name);
    if (existing?.uid === uid) return; // idempotent by UID: a retry or a restarted agent
    // A different UID under the same name is a new pod replacing a stale one.
    if (existing) this.removePod(existing);
    let runningLogged = false;
    const publish = (snapshot: V1Pod) => {
      if (this.callLog && !runningLogged && snapshot.status?.phase === 'Running') {
        runningLogged = true;
        this.callLog.record('running', namespace, name);
      }
      this.backend.publish(snapshot);
    };
    const runtime = new PodRuntime(pod, {
      settings: this.settings,
      podIP: this.backend.allocatePodIP(),
      hostIP: this.identity.internalIP,
      changed: changed => publish(changed.snapshot()),
    });
    this.backend.add(runtime);
    publish(runtime.snapshot());
    runtime.start();
  }

  async updatePod(pod: V1Pod, options: CallOptions): Promise<void> {
    const { namespace, name } = identify(pod);
    await this.faults.before('updatePod', options.signal);
    this.require(namespace, name).update(pod);
  }

  async deletePod(pod: V1Pod, options: CallOptions): Promise<void> {
    const { namespace, name, uid } = identify(pod);
    this.callLog?.record('deletePod', namespace, name);
    await this.faults.before('deletePod', options.signal);
    const runtime = this.backend.get(namespace, name);
    if (!runtime || (uid && runtime.uid !== uid))
      throw new NotFoundError(`pod ${namespace}/${name} not found`);
    this.removePod(runtime);
  }

  async getPod(namespace: string, name: string, options: CallOptions): Promise<V1Pod> {
    await this.faults.before('getPod', options.signal);
    return this.require(namespace, name).snapshot();
  }

  async getPodStatus(namespace: string, name: string, options: CallOptions): Promise<V1PodStatus> {
    await this.faults.before('getPodStatus', options.signal);
    return this.require(namespace, name).status();
  }

  async getPods(options: CallOptions): Promise<V1Pod[]> {
    await this.faults.before('getPods', options.signal);
    return this.backend.list().map(runtime => runtime.snapshot());
  }

  async getContainerLogs(
    pod: PodRef,
    container: string,
    options: ContainerLogOptions & CallOptions,
  ): Promise<AsyncIterable<LogItem>> {
    await this.faults.before('getContainerLogs', options.signal);
    const run = findContainer(this.backend.get(pod.namespace, pod.name), pod, container, false);
    const log = options.previous ? previousRunLog(run) : run.logs.at(-1);
    if (!log) {
      if (options.previous) {
        throw new InvalidInputError(
          `previous terminated container "${container}" in pod "${pod.name}" not found`,
        );
      }
      return emptyLog();
    }
    return log.read(options.follow && !options.previous, options.signal);
  }

  async runInContainer(
    pod: PodRef,
    container: string,
    command: string[],
    io: AttachIO,
    options: CallOptions,
  ): Promise<number> {
    await this.faults.before('runInContainer', options.signal);
    const runtime = this.backend.get(pod.namespace, pod.name);
    const run = findContainer(runtime, pod, container, true);
    return execInContainer(run, command, io, AbortSignal.any([options.signal, runtime!.signal]));
  }

  async attachToContainer(pod: PodRef, container: string, io: AttachIO, options: CallOptions): Promise<void> {
    await this.faults.before('attachToContainer', options.signal);
    const runtime = this.backend.get(pod.namespace, pod.name);
    const run = findContainer(runtime, pod, container, true);
    await attachToRun(run, io, AbortSignal.any([options.signal, runtime!.signal]));
  }

  async portForward(pod: PodRef, port: number, stream: Duplex, options: CallOptions): Promise<void> {
    await this.faults.before('portForward', options.signal);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new InvalidInputError(`invalid port ${port}`);
    const runtime = this.backend.get(pod.namespace, pod.name);
    if (!runtime || (pod.uid !== undefined && pod.uid !== runtime.uid)) {
      throw new NotFoundError(`pod ${pod.namespace}/${pod.name} not found`);
    }
    const behaviour = this.settings.ports[String(port)] ?? 'echo';
    await serveForwardedPort(pod, port, behaviour, stream, AbortSignal.any([options.signal, runtime.signal]));
  }

  async getStatsSummary(options: CallOptions): Promise<StatsSummary> {
    await this.faults.before('getStatsSummary', options.signal);
    return buildStatsSummary(this.backend, this.nodeName);
  }

  configureNode(node: V1Node): void {
    configureMockNode(node, this.settings, { nodeName: this.nodeName, ...this.identity }, this.healthy);
    this.configuredNode = node;
  }

  async ping(options: CallOptions): Promise<void> {
    await this.faults.before('ping', options.signal);
    if (!this.healthy) throw new TransientError('mock backend was set unhealthy');
  }

  notifyNodeStatus(callback: (node: V1Node) => void): void {
    this.nodeCallback = callback;
  }

  /** Test hook: make ping fail (or succeed again) and push the node's Ready condition. */
  setHealthy(healthy: boolean): void {
    this.healthy = healthy;
    const node = this.configuredNode;
    if (!node || !this.nodeCallback) return;
    node.status = { ...node.status, conditions: nodeConditions(healthy, new Date()) };
    this.nodeCallback(structuredClone(node));
  }

  /** What the backend still holds (conformance's leak check). */
  async listBackendResources(): Promise<string[]> {
    return this.backend.listResources();
  }

  /** Stops listening; the pods keep running in the backend, as they would in a real one. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.nodeCallback = undefined;
    await this.callLog?.close();
  }

  private require(namespace: string, name: string): PodRuntime {
    const runtime = this.backend.get(namespace, name);
    if (!runtime) throw new NotFoundError(`pod ${namespace}/${name} not found`);
    return runtime;
  }

  private removePod(runtime: PodRuntime): void {
    this.backend.remove(runtime);
    runtime.stop();
  }
}

function identify(pod: V1Pod): { namespace: string; name: string; uid: string } {
  const metadata = pod.metadata;
  if (!metadata?.name || !metadata.namespace) {
    throw new InvalidInputError('pod needs metadata.namespace and metadata.name');
  }
  return { namespace: metadata.namespace, name: metadata.name, uid: metadata.uid ?? '' };
}

/** The log of the run before the current one; while a container waits to restart that is its last run. */
function previousRunLog(run: ContainerRun): ContainerLog | undefined {
  if (run.restartCount === 0) return undefined;
  return run.state.running ? run.logs.at(-2) : run.logs.at(-1);
}

async function* emptyLog(): AsyncGenerator<LogItem, void, undefined> {}
