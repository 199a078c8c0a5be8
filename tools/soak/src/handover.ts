import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '@vkubelet/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { AgentSlot } from './agents.js';
import { MockSoakBackend } from './backend/mock/adapter.js';
import { startSoakCluster, type LeaderElectionTimings } from './cluster.js';
import { Rng } from './random.js';
import { currentHolder } from './soak.js';

export interface HandoverOptions {
  handovers: number;
  /** Leader election timings (default client-go's: 15 s, 10 s, 2 s). */
  leaderElection: LeaderElectionTimings;
  /** Pods running on the node while the holder is killed. */
  pods: number;
  seed: number;
  outDir: string;
  log: (line: string) => void;
}

export interface HandoverSample {
  /** SIGKILL of the holder to the new holder's first node status write. */
  nodeStatusMs: number;
  /** SIGKILL of the holder to Running of a pod created right after the kill. */
  podSyncedMs: number;
}

export interface HandoverReport {
  samples: HandoverSample[];
  nodeStatusMs: { median: number; max: number };
  podSyncedMs: { median: number; max: number };
  summary: string;
  loadAverage: number[];
}

const NODE_NAME = 'vk-handover';
const STANDBY_SETTLE_MS = 10_000;

/**
 * Measures the handover of issue 20: two agents for one node with leader election; the holder is
 * SIGKILLed (its supervisor starts it again as the standby) `handovers` times. Times, from the kill:
 * the standby's first node status write (from its proxy's wire log: the API server answered it) and
 * Running for a pod created right after the kill (from the watch of the pod's status).
 */
export async function runHandovers(options: HandoverOptions): Promise<HandoverReport> {
  const { log } = options;
  const rng = new Rng(options.seed);
  mkdirSync(options.outDir, { recursive: true });
  const backend = new MockSoakBackend({ nodeName: NODE_NAME, callTimeoutMs: 30_000 });
  const cluster = await startSoakCluster({
    outDir: options.outDir,
    nodeName: NODE_NAME,
    agents: 2,
    leaderElection: options.leaderElection,
    backend,
    callTimeoutMs: 30_000,
    restartDelayMs: { min: 0, max: 1_000 },
    rng,
    log,
  });
  const samples: HandoverSample[] = [];
  try {
    await cluster.waitForReadyNode(120_000);
    for (let i = 0; i < options.pods; i++) await createPod(cluster.admin, `steady-${i}`);
    const statusPath = `/api/v1/nodes/${NODE_NAME}/status`;
    for (let round = 1; round <= options.handovers; round++) {
      // Both agents up, one of them leading, before each kill.
      await until(
        () =>
          cluster.agents.every(agent => agent.running) &&
          currentHolder(cluster.agents, cluster.leasePath) !== undefined,
        120_000,
      );
      // Time for the agent started last to load and stand by (a warm standby is what is measured).
      await sleep(Math.max(options.leaderElection.retryPeriodMs * 3, STANDBY_SETTLE_MS));
      const holder = currentHolder(cluster.agents, cluster.leasePath);
      if (!holder) throw new Error('no agent holds the lease');
      const killedAt = Date.now();
      await holder.kill();
      const exitedAt = Date.now();
      const podName = `handover-${round}`;
      // A slow handover is a figure to report, not a reason to stop measuring.
      const handoverWaitMs = Math.max(options.leaderElection.leaseDurationMs * 4, 60_000);
      await createPod(cluster.admin, podName);
      // The new holder is the standby, or the killed agent started again by its supervisor, whichever
      // acquires first; the dead process itself writes nothing after it exited.
      const nodeStatusAt = await until(() => {
        const after = (agent: AgentSlot) => (agent === holder ? exitedAt : killedAt);
        const writes = cluster.agents.flatMap(agent =>
          agent.proxy.writes.filter(
            w => w.sent >= after(agent) && w.path === statusPath && w.code >= 200 && w.code < 300,
          ),
        );
        return writes.length > 0 ? Math.min(...writes.map(w => w.sent)) : undefined;
      }, handoverWaitMs);
      const runningAt = await until(() => {
        for (const history of cluster.history.pods.values()) {
          if (history.pod !== `default/${podName}`) continue;
          return history.phases.find(change => change.phase === 'Running')?.t;
        }
        return undefined;
      }, handoverWaitMs);
      const sample = { nodeStatusMs: nodeStatusAt - killedAt, podSyncedMs: runningAt - killedAt };
      samples.push(sample);
      log(
        `handover ${round}: node status after ${sample.nodeStatusMs} ms, pod Running after ${sample.podSyncedMs} ms`,
      );
    }
  } finally {
    await cluster.stop();
  }
  const stat = (values: number[]) => ({ median: median(values), max: Math.max(...values) });
  const nodeStatusMs = stat(samples.map(s => s.nodeStatusMs));
  const podSyncedMs = stat(samples.map(s => s.podSyncedMs));
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = options.leaderElection;
  const report: HandoverReport = {
    samples,
    nodeStatusMs,
    podSyncedMs,
    loadAverage: loadavg().map(value => Math.round(value * 10) / 10),
    summary:
      `handover: ${samples.length} holder kills, lease ${leaseDurationMs / 1000}s/${renewDeadlineMs / 1000}s/${retryPeriodMs / 1000}s, ` +
      `${options.pods} pods; node status written by the new holder after median ${(nodeStatusMs.median / 1000).toFixed(1)}s ` +
      `max ${(nodeStatusMs.max / 1000).toFixed(1)}s; first pod synced (Running) after median ` +
      `${(podSyncedMs.median / 1000).toFixed(1)}s max ${(podSyncedMs.max / 1000).toFixed(1)}s; load ${loadavg()
        .map(value => value.toFixed(1))
        .join(' ')}`,
  };
  writeFileSync(join(options.outDir, 'handover.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

async function createPod(admin: KubeClient, name: string): Promise<void> {
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: NODE_NAME,
      automountServiceAccountToken: false,
      tolerations: [{ operator: 'Exists' }],
      containers: [{ name: 'main', image: 'soak.invalid/app:1' }],
    },
  };
  await admin.requestJson('POST', '/api/v1/namespaces/default/pods', { body: pod });
}

/** Polls `probe` every 50 ms until it returns a value. */
async function until<T>(probe: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await sleep(50);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : Math.round((sorted[middle - 1]! + sorted[middle]!) / 2);
}
