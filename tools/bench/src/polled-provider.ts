/**
 * A provider plugin for the polling benchmark: the provider runtime on a backend that can only be
 * polled in batches (PolledCloud), as the Fargate provider reads ECS with DescribeTasks. The runtime's
 * refresh loop reads every pod's state, `batchSize` pods per request, and pushes what changed through
 * notifyPods, so core does not poll the provider.
 *
 * Load it with `virtual-kubelet --provider=<path of this module> --provider-config=<file>`, where the
 * file holds `{"<node>": {<mock settings: cpu, memory, pods, startupDelayMs>, "requestLog": "<path>",
 * "requestLatencyMs": 10, "batchSize": 100, "concurrency": 1, "refreshIntervalMs": 5000}}`. The
 * request log gets a JSON line per backend request: `{"t": <epoch ms>, "op", "tasks": <count>}`.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import {
  backendCaller,
  InvalidInputError,
  podIdentity,
  ProviderRuntime,
  type PodBackend,
  type PodObservation,
  type ProviderPlugin,
  type TrackedPod,
} from '@vkubelet/provider-kit';
import { parseMockSettings, type MockSettings } from '@vkubelet/provider-kit/mock';
import { createWriteStream } from 'node:fs';

import { nodeSettings } from './node-settings.js';
import { PolledCloud, type CloudTask } from './polled-cloud.js';

const call = backendCaller({ system: 'polled-cloud' });

/** Pods to `PolledCloud` tasks and back. */
export class PolledBackend implements PodBackend<CloudTask> {
  constructor(private readonly cloud: PolledCloud) {}

  create(pod: V1Pod): Promise<CloudTask> {
    return call('run', () => this.cloud.run(podIdentity(pod).uid, JSON.stringify(pod)));
  }

  async find(pod: V1Pod): Promise<CloudTask | undefined> {
    const [task] = await call('list', () => this.cloud.list(podIdentity(pod).uid));
    return task;
  }

  async delete(record: TrackedPod<CloudTask>): Promise<null> {
    await call('stop', () => this.cloud.stop(record.state.id));
    return null;
  }

  async refresh(records: readonly TrackedPod<CloudTask>[]): Promise<Map<string, CloudTask | null>> {
    const found = await call('describe', () => this.cloud.describe(records.map(r => r.state.id)));
    const byId = new Map(found.map(task => [task.id, task]));
    return new Map(records.map(r => [r.uid, byId.get(r.state.id) ?? null]));
  }

  async list(): Promise<Array<{ pod: V1Pod; state: CloudTask }>> {
    const tasks = await call('list', () => this.cloud.list());
    return tasks.map(state => ({ pod: JSON.parse(state.pod) as V1Pod, state }));
  }

  observe(record: TrackedPod<CloudTask>): PodObservation {
    const task = record.state;
    const running = task.status === 'RUNNING';
    return {
      containers: (record.pod.spec?.containers ?? []).map(c => ({
        name: c.name,
        ...(running ? { state: { running: { startedAt: new Date(task.startedAt ?? task.createdAt) } } } : {}),
      })),
      ...(running ? { podIPs: [task.ip] } : {}),
      startTime: new Date(task.createdAt),
    };
  }
}

/** What the plugin reads beside the mock's settings. */
export interface PolledProviderSettings {
  mock: MockSettings;
  requestLog?: string;
  requestLatencyMs: number;
  batchSize: number;
  concurrency: number;
  refreshIntervalMs: number;
}

const DEFAULTS = { requestLatencyMs: 10, batchSize: 100, concurrency: 1, refreshIntervalMs: 5_000 };

/** Splits a node's entry of the provider config into the mock's settings and the backend's. */
export function parsePolledSettings(input: Record<string, unknown>): PolledProviderSettings {
  const { requestLog, requestLatencyMs, batchSize, concurrency, refreshIntervalMs, ...mock } = input;
  const count = (name: string, value: unknown, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
      throw new InvalidInputError(
        `polled provider: ${name} must be an integer of at least ${min}, not ${JSON.stringify(value)}`,
      );
    return value;
  };
  if (requestLog !== undefined && typeof requestLog !== 'string')
    throw new InvalidInputError('polled provider: requestLog must be a path');
  return {
    mock: parseMockSettings(mock),
    ...(requestLog !== undefined ? { requestLog } : {}),
    requestLatencyMs: count('requestLatencyMs', requestLatencyMs, DEFAULTS.requestLatencyMs, 0),
    batchSize: count('batchSize', batchSize, DEFAULTS.batchSize, 1),
    concurrency: count('concurrency', concurrency, DEFAULTS.concurrency, 1),
    refreshIntervalMs: count('refreshIntervalMs', refreshIntervalMs, DEFAULTS.refreshIntervalMs, 1),
  };
}

class PolledProvider extends ProviderRuntime<CloudTask> {
  constructor(
    private readonly settings: PolledProviderSettings,
    cloud: PolledCloud,
    hostIP: string,
    private readonly closeLog: () => Promise<void>,
  ) {
    super({
      backend: new PolledBackend(cloud),
      hostIP,
      refresh: {
        intervalMs: settings.refreshIntervalMs,
        batchSize: settings.batchSize,
        concurrency: settings.concurrency,
      },
    });
  }

  configureNode(node: V1Node): void {
    const { cpu, memory, pods } = this.settings.mock;
    const resources = { cpu, memory, pods };
    node.status = { ...node.status, capacity: resources, allocatable: { ...resources } };
  }

  override async close(): Promise<void> {
    await super.close();
    await this.closeLog();
  }
}

export const plugin: ProviderPlugin = {
  name: 'polled',
  async create(context) {
    const settings = parsePolledSettings(nodeSettings(context));
    const log = settings.requestLog ? createWriteStream(settings.requestLog, { flags: 'a' }) : undefined;
    const cloud = new PolledCloud({
      startupDelayMs: settings.mock.startupDelayMs,
      requestLatencyMs: settings.requestLatencyMs,
      describeLimit: 100,
      ...(log
        ? { onRequest: (op, tasks) => log.write(`${JSON.stringify({ t: Date.now(), op, tasks })}\n`) }
        : {}),
    });
    const provider = new PolledProvider(
      settings,
      cloud,
      context.internalIP,
      () => new Promise(resolve => (log ? log.end(resolve) : resolve())),
    );
    await provider.start();
    return provider;
  },
};
