import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { buildPodStatus, noopLogger, podIdentity, PodTracker, type TrackedPod } from '@vkubelet/provider-kit';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';

import { CriBackend } from '../../../src/backend.js';
import { RuntimeHealth } from '../../../src/cri/health.js';
import { plugin } from '../../../src/plugin.js';
import type { SandboxRecord } from '../../../src/pod/record.js';
import type { MemoryRuntime } from './memory-runtime.js';

export const NODE = 'n1';
const call = () => ({ signal: AbortSignal.timeout(10_000) });

/**
 * One agent process on a runtime: CriBackend with its pods tracked and statuses built as the
 * provider runtime does, driven step by step (create, adopt, sync passes) so that tests decide when
 * the "process" dies and another takes over.
 */
export class Agent {
  readonly backend: CriBackend;
  readonly pods: PodTracker<SandboxRecord>;

  constructor(
    readonly runtime: MemoryRuntime,
    podRoot: string,
  ) {
    const config = plugin.parseConfig({ podRoot, backoff: { initialMs: 1, maxMs: 4 } });
    const health = new RuntimeHealth('memory');
    health.reached();
    this.backend = new CriBackend(
      fakeProviderContext({ nodeName: NODE }),
      config,
      runtime,
      health,
      noopLogger,
    );
    this.pods = new PodTracker<SandboxRecord>({
      status: (record, previous) => buildPodStatus(record.pod, this.backend.observe(record), { previous }),
    });
  }

  async create(pod: V1Pod): Promise<TrackedPod<SandboxRecord>> {
    return this.pods.add(pod, await this.backend.create(pod, call()));
  }

  /** What a restarted agent finds (ProviderRuntime.start). */
  async adopt(): Promise<TrackedPod<SandboxRecord>[]> {
    return (await this.backend.list(call())).map(({ pod, state }) => this.pods.add(pod, state));
  }

  /** Runs sync passes as the refresh loop would, a few milliseconds apart (the back-off is 1 ms). */
  async sync(record: TrackedPod<SandboxRecord>, passes = 4): Promise<V1PodStatus> {
    for (let i = 0; i < passes; i++) {
      await this.backend.sync(record, call());
      this.pods.update(record);
      await new Promise(resolve => setTimeout(resolve, 5));
    }
    return record.status;
  }

  get(pod: V1Pod): TrackedPod<SandboxRecord> | undefined {
    return this.pods.get(podIdentity(pod).uid);
  }
}

export async function withPodRoot<T>(run: (podRoot: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'vk-cri-unit-'));
  try {
    return await run(join(dir, 'pods'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let counter = 0;
export function busyboxPod(
  restartPolicy: 'Always' | 'OnFailure' | 'Never',
  extra: Partial<NonNullable<V1Pod['spec']>> = {},
): V1Pod {
  counter++;
  return {
    metadata: { namespace: 'default', name: `p${counter}`, uid: `uid-${counter}` },
    spec: {
      restartPolicy,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: 'busybox:1', command: ['sleep', '3600'] }],
      ...extra,
    },
  };
}
