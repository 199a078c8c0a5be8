import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { BEHAVIOUR_ANNOTATION } from '@vkubelet/provider-kit/mock';

import type { Rng } from '../../random.js';
import { KIND_LABEL, type PodKind } from '../../workload.js';
import type {
  BackendEvent,
  BackendFault,
  BackendPod,
  PodTemplate,
  SoakBackend,
  SoakDefaults,
} from '../types.js';
import { MockBackendServer } from './server.js';

/** The agent's provider module, as built (the agent process runs JavaScript, also when tests run the sources). */
const PLUGIN = fileURLToPath(new URL('../../../dist/backend/mock/plugin.js', import.meta.url));

export interface MockSoakBackendOptions {
  nodeName: string;
  /** The agents' provider call timeout: hangs last longer than this. */
  callTimeoutMs: number;
}

/**
 * The mock provider as a soak backend: pods live in a MockBackendServer in the soak's process,
 * agents reach it through RemoteMockProvider and may be told to crash at its crash points.
 */
export class MockSoakBackend implements SoakBackend {
  readonly name = 'mock';
  /** Every fault applies; agents start again 0-3 s after they end. */
  readonly defaults: SoakDefaults = {};
  readonly server: MockBackendServer;
  private url = '';
  private dir = '';

  constructor(private readonly options: MockSoakBackendOptions) {
    this.server = new MockBackendServer({ nodeName: options.nodeName, internalIP: '127.0.0.1' });
  }

  async start(dir: string): Promise<void> {
    this.dir = dir;
    this.server.recordTo(join(dir, 'backend-record.jsonl'));
    this.url = await this.server.listen();
  }

  agentArgs(agent: string): string[] {
    const config = join(this.dir, `provider-${agent}.json`);
    writeFileSync(config, JSON.stringify({ url: this.url, agent, crashOnDemand: true }));
    return [`--provider=${PLUGIN}`, `--provider-config=${config}`];
  }

  podTemplate(kind: PodKind, rng: Rng): PodTemplate {
    const containers = [{ name: 'main', image: 'soak.invalid/app:1' }];
    // The mock's behaviour annotation: the container exits 0 after that long.
    if (kind === 'job')
      return { containers, annotations: { [BEHAVIOUR_ANNOTATION]: `run:${rng.int(1_000, 8_000)}` } };
    return { containers };
  }

  faults(): BackendFault[] {
    const server = this.server;
    const hangMs = this.options.callTimeoutMs + 3_000;
    /** Arms a crash point and waits for it to go off; one that does not within 10 s is taken back. */
    const crashAfter = async (operation: 'createPod' | 'deletePod'): Promise<string | undefined> => {
      const before = server.crashed[operation];
      server.crashAfterNext(operation);
      for (let waited = 0; waited < 10_000; waited += 100) {
        if (server.crashed[operation] > before) return `an agent died right after a ${operation}`;
        await sleep(100);
      }
      server.disarm(operation);
      return undefined;
    };
    return [
      {
        kind: 'provider-errors',
        inject: async rng => {
          const seconds = rng.int(3, 10);
          const rate = rng.between(0.3, 0.9);
          server.failCalls(rate, seconds * 1000);
          await sleep(seconds * 1000);
          return `${seconds}s of calls failing at ${Math.round(rate * 100)}%`;
        },
      },
      {
        kind: 'provider-slow',
        inject: async rng => {
          const seconds = rng.int(3, 10);
          server.slowCalls(500, 3_000, seconds * 1000);
          await sleep(seconds * 1000);
          return `${seconds}s of calls taking 0.5-3 s`;
        },
      },
      {
        kind: 'provider-hang',
        inject: async rng => {
          const mode = rng.pick(['answer', 'apply'] as const);
          server.hangNextCall(mode, hangMs);
          await sleep(hangMs);
          return `a change hung ${hangMs} ms (${mode === 'answer' ? 'done, answered late' : 'done late'})`;
        },
      },
      // A long-lived pod, so that it is still there at the end to show what became of it.
      {
        kind: 'pod-lost',
        inject: async rng => server.loseRandomPod(rng, pod => pod.metadata?.labels?.[KIND_LABEL] === 'long'),
      },
      { kind: 'crash-after-create', inject: () => crashAfter('createPod') },
      { kind: 'crash-after-delete', inject: () => crashAfter('deletePod') },
    ];
  }

  async calm(): Promise<void> {
    this.server.calm();
  }

  async events(): Promise<BackendEvent[]> {
    return this.server.events();
  }

  async inventory(): Promise<BackendPod[]> {
    return this.server.inventory();
  }

  async stop(): Promise<void> {
    await this.server.close();
  }
}
