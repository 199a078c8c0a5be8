import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { startContainerd, TEST_IMAGES, type Containerd } from '@vkubelet/containerd';
import { CriClient, criInventory } from '@vkubelet/provider-cri';

import type { Rng } from '../../random.js';
import type { PodKind } from '../../workload.js';
import type {
  BackendEvent,
  BackendFault,
  BackendPod,
  PodTemplate,
  SoakBackend,
  SoakDefaults,
} from '../types.js';
import { RuntimeRecord } from './record.js';

export interface CriSoakBackendOptions {
  nodeName: string;
  /** How often the runtime's sandboxes and containers are listed for the record. */
  pollMs?: number;
}

/**
 * The CRI provider on a private containerd as a soak backend. The record of what was created and
 * deleted comes from containerd itself (its sandboxes and containers by pod UID, listed every
 * `pollMs` by this process), so it survives agent kills; its fault is a containerd kill -9 and
 * restart, which leaves the shims and their containers running.
 */
export class CriSoakBackend implements SoakBackend {
  readonly name = 'cri';
  /** The faults of the operator's run in issue 22: agents killed and restarted 1-10 s later, an API server and a containerd restart. */
  readonly defaults: SoakDefaults = {
    faults: ['agent-kill', 'apiserver-restart', 'containerd-restart'],
    mustInclude: ['apiserver-restart', 'containerd-restart'],
    finale: ['agent-kill', 'containerd-restart'],
    agentRestartDelayMs: { min: 1_000, max: 10_000 },
  };
  private containerd: Containerd | undefined;
  private client: CriClient | undefined;
  private readonly record = new RuntimeRecord();
  private readonly stopPolling = new AbortController();
  private polling: Promise<void> | undefined;
  private dir = '';

  constructor(private readonly options: CriSoakBackendOptions) {}

  async start(dir: string): Promise<void> {
    this.dir = dir;
    this.containerd = await startContainerd();
    this.client = new CriClient(this.containerd.endpoint, { defaultTimeoutMs: 10_000 });
    this.polling = this.poll(this.stopPolling.signal);
  }

  agentArgs(agent: string): string[] {
    const containerd = this.running();
    const config = join(this.dir, `provider-${agent}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        runtimeEndpoint: containerd.endpoint,
        podRoot: containerd.podRoot,
        cgroupParent: containerd.cgroupParent,
      }),
    );
    return ['--provider=cri', `--provider-config=${config}`];
  }

  podTemplate(kind: PodKind, rng: Rng): PodTemplate {
    const command = kind === 'job' ? ['sh', '-c', `sleep ${rng.int(1, 8)}`] : ['sleep', '3600'];
    return { containers: [{ name: 'main', image: TEST_IMAGES.busybox, command }] };
  }

  faults(): BackendFault[] {
    return [
      {
        kind: 'containerd-restart',
        inject: async rng => {
          const containerd = this.running();
          const downMs = rng.int(0, 5_000);
          await containerd.kill('SIGKILL');
          await sleep(downMs);
          await containerd.start();
          return `kill -9, down ${downMs} ms, tasks left running`;
        },
      },
    ];
  }

  async calm(): Promise<void> {
    await this.running().start();
  }

  async events(): Promise<BackendEvent[]> {
    await this.observe();
    return this.record.events();
  }

  async inventory(): Promise<BackendPod[]> {
    await this.observe();
    return this.record.inventory();
  }

  async stop(): Promise<void> {
    this.stopPolling.abort();
    await this.polling;
    this.client?.close();
    await this.containerd?.stop();
  }

  private running(): Containerd {
    if (!this.containerd) throw new Error('the CRI soak backend is not started');
    return this.containerd;
  }

  /** Lists the runtime's pods once into the record; a runtime that does not answer leaves it as it was. */
  private async observe(): Promise<void> {
    if (!this.client) return;
    try {
      this.record.observe(await criInventory(this.client, this.options.nodeName), Date.now());
    } catch {
      // containerd is down (a fault): the next listing sees what happened meanwhile.
    }
  }

  private async poll(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.observe();
      await sleep(this.options.pollMs ?? 500, undefined, { signal }).catch(() => undefined);
    }
  }
}
