import type { V1Pod } from '@kubernetes/client-node';

import type { LogItem } from '../../../src/index.js';
import { parseMockSettings, PodRuntime, type ContainerRun } from '../../../src/mock/index.js';

/*
 * A stand-in for a container cloud's API (think ECS, ACI or ECI), for the guide's example provider:
 * asynchronous calls that take and return plain JSON, instances that provision, run and stop, tags to
 * find them by. Underneath, the mock's process model runs the containers, so `sh -c 'echo hi; exit 3'`
 * really prints and exits, as it would on a real backend.
 */

export interface ToyContainerSpec {
  name: string;
  image: string;
  command: string[];
  env: Array<{ name: string; value: string }>;
  init: boolean;
}

export interface ToyRunRequest {
  tags: Record<string, string>;
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  containers: ToyContainerSpec[];
}

export interface ToyContainer {
  name: string;
  image: string;
  state: 'waiting' | 'running' | 'exited';
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
  restarts: number;
  /** Exit code of the run before the current one. */
  lastExitCode?: number;
}

export interface ToyInstance {
  id: string;
  tags: Record<string, string>;
  status: 'provisioning' | 'running' | 'stopped';
  ip?: string;
  createdAt: string;
  containers: ToyContainer[];
}

const settings = parseMockSettings({ startupDelayMs: 20, restartDelayMs: 50 });

function describeRun(run: ContainerRun): ToyContainer {
  const { running, terminated } = run.state;
  const last = run.lastState?.terminated;
  return {
    name: run.spec.name,
    image: run.image,
    state: running ? 'running' : terminated ? 'exited' : 'waiting',
    ...(terminated ? { exitCode: terminated.exitCode } : {}),
    ...(running?.startedAt || terminated?.startedAt
      ? { startedAt: new Date((running?.startedAt ?? terminated?.startedAt)!).toISOString() }
      : {}),
    ...(terminated?.finishedAt ? { finishedAt: new Date(terminated.finishedAt).toISOString() } : {}),
    restarts: run.restartCount,
    ...(last ? { lastExitCode: last.exitCode } : {}),
  };
}

export class ToyCloud {
  private readonly instances = new Map<string, { instance: ToyInstance; runtime: PodRuntime }>();
  private next = 1;
  readonly calls: string[] = [];

  async run(request: ToyRunRequest): Promise<ToyInstance> {
    this.calls.push('run');
    const id = `i-${this.next++}`;
    const ip = `10.9.0.${this.next}`;
    const pod: V1Pod = {
      metadata: { namespace: 'toy', name: id, uid: id },
      spec: {
        restartPolicy: request.restartPolicy,
        initContainers: request.containers.filter(c => c.init),
        containers: request.containers.filter(c => !c.init),
      },
    };
    const instance: ToyInstance = {
      id,
      tags: { ...request.tags },
      status: 'provisioning',
      createdAt: new Date().toISOString(),
      containers: [],
    };
    const runtime = new PodRuntime(pod, {
      settings,
      podIP: ip,
      hostIP: '10.9.0.1',
      changed: () => {
        if (instance.status !== 'stopped') instance.status = 'running';
        instance.ip = ip;
      },
    });
    this.instances.set(id, { instance, runtime });
    runtime.start();
    return this.describeOne(id)!;
  }

  async describe(ids: readonly string[]): Promise<ToyInstance[]> {
    this.calls.push(`describe:${ids.length}`);
    return ids.flatMap(id => this.describeOne(id) ?? []);
  }

  /** Instances whose tag `key` has `value`. */
  async list(key: string, value: string): Promise<ToyInstance[]> {
    this.calls.push('list');
    return [...this.instances.values()]
      .filter(({ instance }) => instance.tags[key] === value)
      .map(({ instance }) => this.describeOne(instance.id)!);
  }

  /** Stops an instance for good and forgets it; answers its last description. */
  async stop(id: string): Promise<ToyInstance | undefined> {
    this.calls.push('stop');
    const entry = this.instances.get(id);
    if (!entry) return undefined;
    entry.runtime.stop();
    entry.instance.status = 'stopped';
    const last = this.describeOne(id);
    this.instances.delete(id);
    return last;
  }

  async logs(
    id: string,
    container: string,
    follow: boolean,
    signal: AbortSignal,
  ): Promise<AsyncIterable<LogItem>> {
    const log = this.instances.get(id)?.runtime.containers.get(container)?.logs.at(-1);
    if (!log) throw new Error(`no container ${container} in ${id}`);
    return log.read(follow, signal);
  }

  /** What is left in the cloud (for the conformance leak check). */
  ids(): string[] {
    return [...this.instances.keys()];
  }

  close(): void {
    for (const { runtime } of this.instances.values()) runtime.stop();
    this.instances.clear();
  }

  private describeOne(id: string): ToyInstance | undefined {
    const entry = this.instances.get(id);
    if (!entry) return undefined;
    const containers = [...entry.runtime.containers.values()].map(describeRun);
    return structuredClone({ ...entry.instance, containers });
  }
}

const clouds = new Map<string, ToyCloud>();

/** The cloud at `endpoint` (one per endpoint in this process: it outlives any provider instance). */
export function connectToyCloud(endpoint: string): ToyCloud {
  let cloud = clouds.get(endpoint);
  if (!cloud) clouds.set(endpoint, (cloud = new ToyCloud()));
  return cloud;
}
