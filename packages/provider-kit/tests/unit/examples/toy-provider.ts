// eslint-disable-next-line @nx/enforce-module-boundaries -- written as a provider package would import it
import {
  backendCaller,
  definePlugin,
  NotFoundError,
  podIdentity,
  ProviderRuntime,
  quantitySchema,
  TransientError,
  type CallOptions,
  type ContainerLogOptions,
  type ContainerObservation,
  type LogItem,
  type PodBackend,
  type PodObservation,
  type PodRef,
  type TrackedPod,
} from '@vkubelet/provider-kit';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';

import { connectToyCloud, type ToyCloud, type ToyContainer, type ToyInstance } from './toy-cloud.js';

/*
 * A complete provider on the provider runtime: pods run as instances of ToyCloud, a stand-in for a
 * container cloud's API. The backend mapping (ToyBackend) is all a provider has to write about its
 * backend; ProviderRuntime does the rest: idempotent creates, deletes, status reports by the
 * kubelet's rules, the refresh loop, adoption after a restart.
 */

// Tags on every instance: how a restarted agent finds its pods, and the pod as created.
const TAG_NODE = 'vkubelet.io/node';
const TAG_UID = 'vkubelet.io/pod-uid';
const TAG_POD = 'vkubelet.io/pod';

// Every request to the cloud goes through one door: errors mapped once, traces added there later.
const call = backendCaller({
  system: 'toy',
  toError: (error, operation) => new TransientError(`${operation}: ${String(error)}`, { cause: error }),
});

/** The backend mapping: Kubernetes pods to ToyCloud instances and back. */
class ToyBackend implements PodBackend<ToyInstance> {
  constructor(
    private readonly cloud: ToyCloud,
    private readonly nodeName: string,
  ) {}

  // Accepted is enough: the refresh loop follows the instance while it provisions.
  async create(pod: V1Pod): Promise<ToyInstance> {
    const { uid } = podIdentity(pod);
    const spec = pod.spec!;
    const containers = [
      ...(spec.initContainers ?? []).map(c => ({ ...c, init: true })),
      ...spec.containers.map(c => ({ ...c, init: false })),
    ];
    return call('run', () =>
      this.cloud.run({
        tags: { [TAG_NODE]: this.nodeName, [TAG_UID]: uid, [TAG_POD]: JSON.stringify(pod) },
        restartPolicy: (spec.restartPolicy ?? 'Always') as 'Always' | 'OnFailure' | 'Never',
        containers: containers.map(c => ({
          name: c.name,
          image: c.image ?? '',
          command: [...(c.command ?? []), ...(c.args ?? [])],
          // Core has resolved every env value (valueFrom, envFrom) before createPod.
          env: (c.env ?? []).map(e => ({ name: e.name, value: e.value ?? '' })),
          init: c.init,
        })),
      }),
    );
  }

  // A retry after a lost answer must not run the pod twice: look for its UID first.
  async find(pod: V1Pod): Promise<ToyInstance | undefined> {
    const [found] = await call('list', () => this.cloud.list(TAG_UID, podIdentity(pod).uid));
    return found;
  }

  async delete(record: TrackedPod<ToyInstance>): Promise<ToyInstance | null> {
    return (await call('stop', () => this.cloud.stop(record.state.id))) ?? null;
  }

  // One describe request per batch of pods; an instance the cloud no longer has is gone (null).
  async refresh(records: readonly TrackedPod<ToyInstance>[]): Promise<Map<string, ToyInstance | null>> {
    const found = await call('describe', () => this.cloud.describe(records.map(r => r.state.id)));
    const byId = new Map(found.map(instance => [instance.id, instance]));
    return new Map(records.map(r => [r.uid, byId.get(r.state.id) ?? null]));
  }

  // After a restart: the pods this node runs, rebuilt from their tags.
  async list(): Promise<Array<{ pod: V1Pod; state: ToyInstance }>> {
    const instances = await call('list', () => this.cloud.list(TAG_NODE, this.nodeName));
    return instances.map(state => ({ pod: JSON.parse(state.tags[TAG_POD]!) as V1Pod, state }));
  }

  // The cloud's words in Kubernetes terms; buildPodStatus adds phase, conditions and reasons.
  observe(record: TrackedPod<ToyInstance>): PodObservation {
    const { state: instance } = record;
    const byName = new Map(instance.containers.map(c => [c.name, c]));
    const observeAll = (names: string[]) =>
      names.flatMap(name => {
        const container = byName.get(name);
        return container ? [observeContainer(container)] : [];
      });
    const spec = record.pod.spec;
    return {
      containers: observeAll(spec?.containers.map(c => c.name) ?? []),
      initContainers: observeAll(spec?.initContainers?.map(c => c.name) ?? []),
      ...(instance.ip ? { podIPs: [instance.ip] } : {}),
      startTime: new Date(instance.createdAt),
      stopped: instance.status === 'stopped',
    };
  }
}

function observeContainer(container: ToyContainer): ContainerObservation {
  const started = container.startedAt ? new Date(container.startedAt) : undefined;
  const state =
    container.state === 'running'
      ? { running: { ...(started ? { startedAt: started } : {}) } }
      : container.state === 'exited'
        ? {
            terminated: {
              exitCode: container.exitCode ?? 0,
              ...(started ? { startedAt: started } : {}),
              ...(container.finishedAt ? { finishedAt: new Date(container.finishedAt) } : {}),
            },
          }
        : undefined;
  return {
    name: container.name,
    image: container.image,
    restartCount: container.restarts,
    ...(state ? { state } : {}),
    ...(container.lastExitCode !== undefined
      ? { lastState: { terminated: { exitCode: container.lastExitCode } } }
      : {}),
  };
}

/** What `--provider-config` holds; defaults and descriptions make the README's config table. */
export const toyConfigSchema = z
  .object({
    endpoint: z.string().default('toy://local').meta({ description: 'the cloud to run pods in' }),
    refreshIntervalMs: z
      .number()
      .int()
      .min(100)
      .default(1000)
      .meta({ description: 'how often every pod is described' }),
    capacity: z
      .object({
        cpu: quantitySchema().default('8').meta({ env: 'TOY_QUOTA_CPU', description: 'node capacity' }),
        memory: quantitySchema().default('32Gi').meta({ description: 'node capacity' }),
        pods: quantitySchema().default('50').meta({ description: 'node capacity' }),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type ToyConfig = z.output<typeof toyConfigSchema>;

/** The provider: the runtime on the toy backend, plus logs and the node. */
export class ToyProvider extends ProviderRuntime<ToyInstance> {
  constructor(
    private readonly cloud: ToyCloud,
    private readonly config: ToyConfig,
    context: { nodeName: string; internalIP: string },
  ) {
    super({
      backend: new ToyBackend(cloud, context.nodeName),
      hostIP: context.internalIP,
      refresh: { intervalMs: config.refreshIntervalMs, batchSize: 50 },
    });
  }

  // Optional capabilities are plain methods; find pods with this.pods.require (UID-checked).
  async getContainerLogs(
    ref: PodRef,
    container: string,
    options: ContainerLogOptions & CallOptions,
  ): Promise<AsyncIterable<LogItem>> {
    const pod = this.pods.require(ref);
    if (options.previous) throw new NotFoundError(`no previous logs of ${container} kept`);
    return call('logs', () => this.cloud.logs(pod.state.id, container, options.follow, options.signal));
  }

  configureNode(node: V1Node): void {
    const capacity = { ...this.config.capacity };
    node.status = { ...node.status, capacity, allocatable: capacity };
  }
}

/** `virtual-kubelet --provider toy --provider-config toy.yaml`. */
export const plugin = definePlugin({
  name: 'toy',
  configSchema: toyConfigSchema,
  async create(context, config) {
    const provider = new ToyProvider(connectToyCloud(config.endpoint), config, context);
    await provider.start(); // adopt what the cloud runs for this node, start the refresh loop
    return provider;
  },
});
