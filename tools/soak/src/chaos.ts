import type { ControlPlane } from '@vkubelet/testenv';
import { setTimeout as sleep } from 'node:timers/promises';

import type { AgentSlot } from './agents.js';
import type { BackendFault } from './backend/types.js';
import type { StatusFault } from './proxy/fault-proxy.js';
import type { Rng } from './random.js';

/** One kind of fault: how often it is picked, and what it does (resolving once it is healed). */
export interface Fault {
  kind: string;
  weight: number;
  /** Faults of the control plane run one at a time (a restart inside a restart proves nothing). */
  exclusive?: boolean;
  /** Does it; resolves with what it did once healed, or undefined when there was nothing to do. */
  inject(rng: Rng): Promise<string | undefined>;
}

export interface ChaosOptions {
  plane: ControlPlane;
  agents: readonly AgentSlot[];
  backendFaults: readonly BackendFault[];
  /** Finds the agent holding the leader lease (leader election only). */
  holder?: () => AgentSlot | undefined;
  /** With leader election: how long a partition of the holder lasts (longer than the lease). */
  holderPartitionMs?: number;
  /** Only these kinds (default: all that apply). */
  only?: readonly string[];
  rng: Rng;
  log: (line: string) => void;
}

/** The soak's own fault kinds (the backend adds its own); the holder-* ones need leader election. */
export const FAULT_KINDS = {
  common: [
    'apiserver-restart',
    'apiserver-kill',
    'etcd-pause',
    'etcd-restart',
    'watch-cut',
    'status-409',
    'status-429',
    'status-5xx',
    'status-applied-then-500',
    'agent-kill',
  ],
  oneAgent: ['agent-partition'],
  leaderElection: ['holder-kill', 'holder-partition'],
} as const;

/** Every fault the soak knows, as they apply to this run. */
export function faultCatalogue(options: ChaosOptions): Fault[] {
  const { plane, agents, rng } = options;
  const anyAgent = (): AgentSlot => rng.pick(agents);
  const statusFault = (kind: string, answer: StatusFault): Fault => ({
    kind,
    weight: 2,
    async inject(r) {
      const seconds = r.int(3, 10);
      const rate = r.between(0.5, 1);
      for (const agent of agents) agent.proxy.failStatusWrites(answer, rate, seconds * 1000);
      await sleep(seconds * 1000);
      return `${seconds}s at ${Math.round(rate * 100)}%`;
    },
  });
  const faults: Fault[] = [
    {
      kind: 'apiserver-restart',
      weight: 1,
      exclusive: true,
      async inject(r) {
        const downMs = r.int(0, 3_000);
        await plane.restartApiServer({ downMs });
        return `down ${downMs} ms`;
      },
    },
    {
      kind: 'apiserver-kill',
      weight: 1,
      exclusive: true,
      async inject(r) {
        const downMs = r.int(0, 3_000);
        await plane.restartApiServer({ kill: true, downMs });
        return `kill -9, down ${downMs} ms`;
      },
    },
    {
      kind: 'etcd-pause',
      weight: 1,
      exclusive: true,
      async inject(r) {
        const ms = r.int(1_000, 8_000);
        plane.pauseEtcd();
        try {
          await sleep(ms);
        } finally {
          plane.resumeEtcd();
        }
        return `SIGSTOP for ${ms} ms`;
      },
    },
    {
      kind: 'etcd-restart',
      weight: 1,
      exclusive: true,
      async inject(r) {
        const kill = r.chance(0.5);
        const downMs = r.int(0, 2_000);
        await plane.restartEtcd({ kill, downMs });
        return `${kill ? 'kill -9' : 'graceful'}, down ${downMs} ms`;
      },
    },
    {
      kind: 'watch-cut',
      weight: 2,
      async inject(r) {
        const ms = r.int(0, 3_000);
        for (const agent of agents) agent.proxy.cutWatches(ms);
        await sleep(ms);
        return `cut mid-event for ${ms} ms`;
      },
    },
    statusFault('status-409', 409),
    statusFault('status-429', 429),
    statusFault('status-5xx', 503),
    statusFault('status-applied-then-500', 'applied-then-500'),
    {
      kind: 'agent-kill',
      weight: 2,
      async inject() {
        const agent = anyAgent();
        if (!agent.running) return undefined;
        await agent.kill();
        return `${agent.name} SIGKILL`;
      },
    },
    ...options.backendFaults.map(fault => ({ ...fault, weight: 1.5 })),
  ];
  if (options.holder) {
    const holder = options.holder;
    const partitionMs = options.holderPartitionMs ?? 25_000;
    faults.push(
      {
        kind: 'holder-kill',
        weight: 2,
        async inject() {
          const agent = holder();
          if (!agent?.running) return undefined;
          await agent.kill();
          return `${agent.name} SIGKILL`;
        },
      },
      {
        kind: 'holder-partition',
        weight: 1,
        async inject() {
          const agent = holder();
          if (!agent || agent.proxy.isPartitioned) return undefined;
          agent.proxy.partition();
          try {
            await sleep(partitionMs);
          } finally {
            agent.proxy.heal();
          }
          return `${agent.name} cut off for ${partitionMs} ms`;
        },
      },
    );
  } else {
    faults.push({
      kind: 'agent-partition',
      weight: 1,
      async inject(r) {
        const agent = anyAgent();
        if (agent.proxy.isPartitioned) return undefined;
        const ms = r.int(2_000, 15_000);
        agent.proxy.partition();
        try {
          await sleep(ms);
        } finally {
          agent.proxy.heal();
        }
        return `${agent.name} cut off for ${ms} ms`;
      },
    });
  }
  const only = options.only;
  return only ? faults.filter(fault => only.includes(fault.kind)) : faults;
}

/**
 * Injects faults at random times (exponential gaps around `meanGapMs`), several at once when their
 * windows overlap, until stop(). Counts each fault that did something, by kind.
 */
export class Chaos {
  readonly injected = new Map<string, number>();
  /** When the last fault was healed (epoch ms). */
  lastHealed = 0;
  private readonly active = new Set<Promise<void>>();
  private exclusiveBusy = false;
  private stopped = false;
  private loop: Promise<void> | undefined;

  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly faults: readonly Fault[],
    private readonly options: {
      rng: Rng;
      meanGapMs: number;
      /** Kinds injected at least once, at evenly spaced times over `windowMs`, besides the random ones. */
      mustInclude?: readonly string[];
      windowMs?: number;
      log: (line: string) => void;
    },
  ) {}

  start(): void {
    this.loop = this.run();
    const planned = (this.options.mustInclude ?? []).map(kind => {
      const fault = this.faults.find(f => f.kind === kind);
      if (!fault) throw new Error(`no fault of kind ${kind} applies to this run`);
      return fault;
    });
    const windowMs = this.options.windowMs ?? 0;
    planned.forEach((fault, index) => {
      const at = ((index + 1) * windowMs) / (planned.length + 1);
      this.timers.push(setTimeout(() => !this.stopped && this.launch(fault, true), at));
    });
  }

  /**
   * Injects `kinds` together, now, and resolves once every fault is healed: a last compound fault at
   * the end of the run, so that the time to converge after it is measured rather than bounded.
   */
  async finale(kinds: readonly string[]): Promise<void> {
    for (const kind of kinds) {
      const fault = this.faults.find(f => f.kind === kind);
      if (!fault) throw new Error(`no fault of kind ${kind} applies to this run`);
      this.launch(fault);
    }
    await Promise.all(this.active);
  }

  /** No new faults; resolves once every running one is healed. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    await this.loop;
    await Promise.all(this.active);
  }

  private async run(): Promise<void> {
    const { rng, meanGapMs } = this.options;
    while (!this.stopped) {
      await sleep(-Math.log(1 - rng.next()) * meanGapMs);
      if (this.stopped) return;
      const choices = this.faults.filter(fault => !(fault.exclusive && this.exclusiveBusy));
      if (choices.length === 0) continue;
      const kind = rng.weighted(Object.fromEntries(choices.map(f => [f.kind, f.weight])));
      const fault = choices.find(f => f.kind === kind);
      if (fault) this.launch(fault);
    }
  }

  /** Starts `fault`; a planned one that cannot act now (busy, or nothing to do) is tried again a second later. */
  private launch(fault: Fault, planned = false): void {
    const { rng, log } = this.options;
    const retry = (): void => {
      this.timers.push(setTimeout(() => !this.stopped && this.launch(fault, true), 1_000));
    };
    if (fault.exclusive && this.exclusiveBusy) {
      if (planned) retry();
      return;
    }
    if (fault.exclusive) this.exclusiveBusy = true;
    const started = Date.now();
    const running = fault
      .inject(rng)
      .then(
        what => {
          if (what === undefined) {
            if (planned) retry();
            return;
          }
          this.injected.set(fault.kind, (this.injected.get(fault.kind) ?? 0) + 1);
          log(`fault ${fault.kind}: ${what} (${Date.now() - started} ms)`);
        },
        (err: unknown) => log(`fault ${fault.kind} failed: ${String(err)}`),
      )
      .finally(() => {
        if (fault.exclusive) this.exclusiveBusy = false;
        this.lastHealed = Math.max(this.lastHealed, Date.now());
        this.active.delete(running);
      });
    this.active.add(running);
  }
}
