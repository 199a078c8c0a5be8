import type { V1Pod, V1PodList } from '@kubernetes/client-node';
import type { KubeClient } from '@vkubelet/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { AgentSlot } from './agents.js';
import { MockSoakBackend } from './backend/mock/adapter.js';
import type { SoakBackend } from './backend/types.js';
import { Chaos, FAULT_KINDS, faultCatalogue } from './chaos.js';
import { startSoakCluster, type LeaderElectionTimings } from './cluster.js';
import { lostForGood, unconverged, type Unconverged } from './converge.js';
import { checkInvariants, countViolations, type InvariantCounts, type Violations } from './invariants.js';
import { Rng } from './random.js';
import { Workload } from './workload.js';

export interface SoakOptions {
  /** How long pods churn and faults are injected. */
  durationMs: number;
  podsPerSecond: number;
  /** Mean time between two faults. */
  meanFaultGapMs: number;
  /** How long after the last fault every pod must be where it should be. */
  convergeBoundMs: number;
  /** One agent, or several for the node with leader election. */
  agents: number;
  leaderElection?: LeaderElectionTimings;
  /** Only these fault kinds (default: the backend's choice, or all that apply). */
  faults?: readonly string[];
  /** Kinds injected together at the end of the chaos, pods still churning: the last fault (default: the backend's, or none). */
  finale?: readonly string[];
  /** Kinds injected at least once whatever the dice say (a test that must see a holder killed). */
  mustInclude?: readonly string[];
  seed: number;
  outDir: string;
  /** An ended agent starts again after a delay uniform in [min, max] ms (default: the backend's, or 0-3 s). */
  agentRestartDelayMs?: { min: number; max: number };
  /** More flags for every agent, after the soak's own. */
  agentArgs?: readonly string[];
  /** The backend under the provider (default the mock). */
  backend?: (options: { nodeName: string; callTimeoutMs: number }) => SoakBackend;
  log: (line: string) => void;
}

export interface SoakReport {
  passed: boolean;
  summary: string;
  counts: InvariantCounts;
  violations: Violations;
  faults: Record<string, number>;
  pods: { created: number; updated: number; deleted: number };
  agentRestarts: number;
  /** How agent processes ended, by cause (`signal SIGKILL`, `code 1`: the lease lost, or a failure). */
  agentExits: Record<string, number>;
  /** Time from the end of the faults (every window closed) to convergence, or undefined when the bound ran out. */
  convergedAfterMs: number | undefined;
  /** Time from the last fault healed (an agent killed, a restart done) to convergence, when it converged. */
  convergedAfterLastFaultMs?: number | undefined;
  durationMs: number;
  loadAverage: number[];
}

/** A fault kind that does not exist in the run asked for (a bad `--faults`). */
export class UnknownFaultError extends Error {
  override readonly name = 'UnknownFaultError';
}

const NODE_NAME = 'vk-soak';
const NAMESPACE = 'default';
/** The agents' provider call timeout: short, so hung calls are given up within the run. */
const CALL_TIMEOUT_MS = 5_000;
/** client-go's timings, scaled down so a two-minute run sees several handovers. */
export const SOAK_ELECTION: LeaderElectionTimings = {
  leaseDurationMs: 6_000,
  renewDeadlineMs: 4_000,
  retryPeriodMs: 1_000,
};

/** The agent that last wrote the leader Lease as its holder, from the proxies' wire logs. */
export function currentHolder(agents: readonly AgentSlot[], leasePath: string): AgentSlot | undefined {
  let latest: { agent: AgentSlot; sent: number } | undefined;
  for (const agent of agents) {
    for (const write of agent.proxy.writes) {
      if (write.path !== leasePath || write.code < 200 || write.code >= 300 || !write.holder) continue;
      if (!latest || write.sent > latest.sent) latest = { agent, sent: write.sent };
    }
  }
  return latest?.agent;
}

/**
 * The chaos soak of issue 20: a real control plane, the agent(s) behind fault proxies, a steady pod
 * churn and faults at random times; then the faults stop, the node gets `convergeBoundMs` to settle,
 * and the invariants are checked from the backend's record, its inventory, the pods' status history
 * and the proxies' wire logs.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { log } = options;
  const rng = new Rng(options.seed);
  mkdirSync(options.outDir, { recursive: true });
  const backend: SoakBackend =
    options.backend?.({ nodeName: NODE_NAME, callTimeoutMs: CALL_TIMEOUT_MS }) ??
    new MockSoakBackend({ nodeName: NODE_NAME, callTimeoutMs: CALL_TIMEOUT_MS });
  if (backend instanceof MockSoakBackend) backend.server.useRandom(rng);
  const faultsAsked = options.faults ?? backend.defaults?.faults;
  const mustInclude = options.mustInclude ?? backend.defaults?.mustInclude;
  const restartDelay = options.agentRestartDelayMs ??
    backend.defaults?.agentRestartDelayMs ?? { min: 0, max: 3_000 };
  const withElection = options.agents > 1;
  const known = new Set<string>([
    ...FAULT_KINDS.common,
    ...(withElection ? FAULT_KINDS.leaderElection : FAULT_KINDS.oneAgent),
    ...backend.faults().map(fault => fault.kind),
  ]);
  const unknown = [...(faultsAsked ?? []), ...(mustInclude ?? [])].filter(kind => !known.has(kind));
  if (unknown.length > 0) {
    throw new UnknownFaultError(
      `no fault ${unknown.join(', ')} in this run (known: ${[...known].join(', ')})`,
    );
  }
  const cluster = await startSoakCluster({
    outDir: options.outDir,
    nodeName: NODE_NAME,
    agents: options.agents,
    leaderElection: withElection ? (options.leaderElection ?? SOAK_ELECTION) : undefined,
    backend,
    callTimeoutMs: CALL_TIMEOUT_MS,
    agentArgs: options.agentArgs,
    restartDelayMs: restartDelay,
    rng,
    log,
  });
  try {
    await cluster.waitForReadyNode(120_000);
    log(`node ${NODE_NAME} is Ready; churning pods and injecting faults for ${options.durationMs / 1000} s`);
    const workload = new Workload({
      client: cluster.admin,
      history: cluster.history,
      backend,
      nodeName: NODE_NAME,
      namespace: NAMESPACE,
      rng,
      podsPerSecond: options.podsPerSecond,
      log,
    });
    const chaos = new Chaos(
      faultCatalogue({
        plane: cluster.plane,
        agents: cluster.agents,
        backendFaults: backend.faults(),
        holder: withElection ? () => currentHolder(cluster.agents, cluster.leasePath) : undefined,
        holderPartitionMs: (options.leaderElection ?? SOAK_ELECTION).leaseDurationMs * 2,
        only: faultsAsked,
        rng,
        log,
      }),
      {
        rng,
        meanGapMs: options.meanFaultGapMs,
        mustInclude,
        windowMs: options.durationMs * 0.8,
        log,
      },
    );
    const started = Date.now();
    workload.start();
    // The first faults come once the node has a few pods.
    await sleep(Math.min(10_000, options.durationMs / 10));
    chaos.start();
    const progress = setInterval(() => {
      const faults = [...chaos.injected.values()].reduce((a, b) => a + b, 0);
      log(
        `${Math.round((Date.now() - started) / 1000)} s: ${workload.counts.created} pods created, ` +
          `${faults} faults, load ${loadavg()[0]!.toFixed(1)}`,
      );
    }, 15_000);
    await sleep(Math.max(0, options.durationMs - (Date.now() - started)));
    clearInterval(progress);
    await chaos.stop();
    // The last fault hits while pods are still being created and deleted, so that converging after it
    // takes work (pods to start, deletes to carry out) and its time is measured.
    const finale = options.finale ?? backend.defaults?.finale ?? [];
    if (finale.length > 0) {
      log(`the last fault: ${finale.join(' + ')} at once, pods still churning`);
      await chaos.finale(finale);
    }
    await workload.stop();
    await backend.calm();
    for (const agent of cluster.agents) {
      agent.proxy.calm();
      if (agent.proxy.isPartitioned) agent.proxy.heal();
    }
    const lastFault = Math.max(chaos.lastHealed, Date.now());
    log(`faults over; waiting up to ${options.convergeBoundMs / 1000} s for the node to converge`);

    const lost = lostForGood(await backend.events());
    let remaining: Unconverged[] = [];
    let convergedAfterMs: number | undefined;
    let convergedAfterLastFaultMs: number | undefined;
    while (Date.now() - lastFault <= options.convergeBoundMs) {
      const pods = await listPods(cluster.admin);
      remaining = pods ? unconverged(pods, await backend.inventory(), lost) : remaining;
      if (pods && remaining.length === 0) {
        convergedAfterMs = Date.now() - lastFault;
        if (chaos.lastHealed > 0) convergedAfterLastFaultMs = Date.now() - chaos.lastHealed;
        break;
      }
      await sleep(1_000);
    }
    if (convergedAfterMs === undefined) {
      for (const problem of remaining.slice(0, 20)) log(`not converged: ${problem.pod} ${problem.why}`);
    }

    const apiPods = (await listPods(cluster.admin)) ?? [];
    const violations = checkInvariants({
      histories: cluster.history.pods.values(),
      backendEvents: await backend.events(),
      inventory: await backend.inventory(),
      apiPods: apiPods.map(pod => ({
        uid: pod.metadata?.uid ?? '',
        pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`,
        phase: pod.status?.phase,
        deleting: pod.metadata?.deletionTimestamp !== undefined,
      })),
      unconverged: remaining.map(problem => problem.uid),
      wireWrites: withElection ? cluster.agents.flatMap(agent => agent.proxy.writes) : undefined,
      leaderLeasePath: cluster.leasePath,
    });
    const counts = countViolations(violations);
    const faults = Object.fromEntries([...chaos.injected.entries()].sort());
    const agentRestarts = cluster.agents.reduce((sum, agent) => sum + agent.incarnations - 1, 0);
    const agentExits: Record<string, number> = {};
    for (const agent of cluster.agents) {
      for (const [how, count] of agent.exits) agentExits[how] = (agentExits[how] ?? 0) + count;
    }
    const passed = Object.values(counts).every(count => count === 0);
    const report: SoakReport = {
      passed,
      summary: '',
      counts,
      violations,
      faults,
      pods: {
        created: workload.counts.created,
        updated: workload.counts.updated,
        deleted: workload.counts.deleted,
      },
      agentRestarts,
      agentExits,
      convergedAfterMs,
      convergedAfterLastFaultMs,
      durationMs: Date.now() - started,
      loadAverage: loadavg().map(value => Math.round(value * 10) / 10),
    };
    report.summary = summaryLine(report, options);
    writeFileSync(join(options.outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    for (const [invariant, list] of Object.entries(violations)) {
      for (const line of list.slice(0, 20)) log(`violation ${invariant}: ${line}`);
    }
    return report;
  } finally {
    await cluster.stop();
  }
}

/** The API server's pods on the node, or undefined while it does not answer. */
async function listPods(admin: KubeClient): Promise<V1Pod[] | undefined> {
  try {
    const list = await admin.requestJson<V1PodList>('GET', '/api/v1/pods', {
      query: { fieldSelector: `spec.nodeName=${NODE_NAME}` },
    });
    return list.items;
  } catch {
    return undefined;
  }
}

const INVARIANT_NAMES: Record<keyof InvariantCounts, string> = {
  doubleCreated: 'double-created',
  orphans: 'orphans',
  unrequestedDeletes: 'unrequested-deletes',
  statusRegressions: 'status-regressions',
  notConverged: 'not-converged',
  spuriousFailures: 'spurious-failures',
  twoWriters: 'two-writers',
};

/** The one line a soak prints: pods, faults by kind, each invariant's count, and the verdict. */
export function summaryLine(
  report: Omit<SoakReport, 'summary'>,
  options: Pick<SoakOptions, 'agents' | 'convergeBoundMs' | 'seed'>,
): string {
  const faultTotal = Object.values(report.faults).reduce((a, b) => a + b, 0);
  const faultList = Object.entries(report.faults)
    .map(([kind, count]) => `${kind}=${count}`)
    .join(' ');
  const exits = Object.entries(report.agentExits)
    .sort()
    .map(([how, count]) => `${how.replace(' ', ':')}=${count}`)
    .join(' ');
  const invariants = (Object.keys(INVARIANT_NAMES) as (keyof InvariantCounts)[])
    .filter(key => key !== 'twoWriters' || options.agents > 1)
    .map(key => `${INVARIANT_NAMES[key]}=${report.counts[key]}`)
    .join(' ');
  const converged =
    report.convergedAfterMs === undefined
      ? `not converged within ${options.convergeBoundMs / 1000}s`
      : `converged ${(report.convergedAfterMs / 1000).toFixed(1)}s after the faults stopped` +
        (report.convergedAfterLastFaultMs === undefined
          ? ''
          : `, ${(report.convergedAfterLastFaultMs / 1000).toFixed(1)}s after the last fault healed`) +
        ` (bound ${options.convergeBoundMs / 1000}s)`;
  return (
    `soak ${report.passed ? 'PASS' : 'FAIL'}: ${Math.round(report.durationMs / 1000)}s, seed ${options.seed}, ` +
    `${options.agents} agent${options.agents > 1 ? 's (leader election)' : ''}, ` +
    `pods created=${report.pods.created} updated=${report.pods.updated} deleted=${report.pods.deleted}, ` +
    `faults ${faultTotal} (${faultList}), agent restarts ${report.agentRestarts}${exits ? ` (${exits})` : ''}, ${converged}; ` +
    `${invariants}; load ${report.loadAverage.join(' ')}`
  );
}
