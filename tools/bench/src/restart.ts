import type { V1Pod } from '@kubernetes/client-node';
import { createReadStream, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { DEFAULT_AGENT_COMMAND } from './agent-process.js';
import { customAgent } from './agents.js';
import { countRequests, type RequestCounts } from './audit.js';
import { ControlPlaneSampler } from './control-plane-usage.js';
import { mb, usageFigures, usageFiguresByComponent, type UsageFigures } from './benchmark.js';
import { AgentRunner, sleep, startBenchPlane, waitForAgentReady } from './harness.js';
import { nodeUserName } from './identity.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { machineLine, usageList } from './table.js';
import { summarize, type LatencySummary } from './percentiles.js';
import { PodWatch } from './pod-watch.js';
import { currentRssBytes, ProcessSampler } from './process-sampler.js';
import { now, paced } from './scenario.js';

export interface RestartBenchOptions {
  pods: number;
  rate: number | 'max';
  outDir: string;
  /** After the restart, how long to keep measuring once the probe pod runs (default 15 s). */
  afterMs?: number;
  log?: (line: string) => void;
}

export interface RestartReport {
  pods: number;
  machine: MachineInfo;
  loadAverage: { start: number[]; end: number[] };
  fill: { createToRunning: LatencySummary; running: number; agentRssMB?: number; agentPeakRssMB: number };
  restart: {
    /** kill -9 → the new process renewed the lease or node heartbeat. */
    readyMs?: number;
    /** kill -9 → the first pods/status write by the new process (audit log). */
    firstStatusWriteMs?: number;
    /** kill -9 → the pod created while the agent was down seen Running. */
    probeRunningMs?: number;
    /** The new process over the restart (relist included): VmHWM and CPU. */
    agent: UsageFigures;
    /** The new process's RSS once the restart is over (`afterMs` after the new pod runs). */
    settledRssMB?: number;
    /** Provider calls the new process made, from the mock's call log (1 create: the probe pod). */
    providerCalls: Record<string, number>;
    /** API requests by the new process. */
    apiRequests: RequestCounts;
    /** Pods of the fill no longer Running afterwards (restarted, lost or re-created). */
    disturbed: number;
  };
  controlPlane: Record<string, UsageFigures>;
}

const journaledMock = fileURLToPath(new URL('./journaled-mock.js', import.meta.url));

/** Provider calls in the mock's call log at or after `since` (epoch ms), by operation. */
async function callsSince(path: string, since: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = { createPod: 0, deletePod: 0 };
  if (!existsSync(path)) return counts;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    const entry = JSON.parse(line) as { t: number; op: string };
    if (entry.t >= since && entry.op in counts) counts[entry.op]! += 1;
  }
  return counts;
}

/**
 * Fills the node with `pods` running pods, kills the agent with SIGKILL, creates one pod while it is
 * down, and starts it again: time until the new process is alive and writes its first status, its
 * peak RSS and CPU over the relist, and what it asked of the provider (nothing but the new pod).
 */
export async function runRestartBench(options: RestartBenchOptions): Promise<RestartReport> {
  const log = options.log ?? (() => {});
  const loadStart = machineInfo().loadAverage;
  const nodeName = 'vkubelet-bench';
  const callLog = join(options.outDir, 'provider-calls.jsonl');
  const bench = await startBenchPlane({ outDir: options.outDir, nodeName, log });
  // The provider's name is a module path here; the taint value defaults to it and must be a label value.
  const agent = customAgent(
    DEFAULT_AGENT_COMMAND.replace('--provider=mock', `--provider=${journaledMock}`),
    'vkubelet',
    'node',
    'virtual-kubelet with the mock provider, its backend kept across restarts by a journal',
    { VKUBELET_TAINT_VALUE: 'mock' },
  );
  const runner = new AgentRunner(
    bench,
    agent,
    {
      pods: String(options.pods * 2),
      cpu: '10000',
      memory: '40Ti',
      startupDelayMs: 0,
      callLog,
      journal: join(options.outDir, 'mock-journal.jsonl'),
    },
    log,
  );
  const watch = new PodWatch(bench.admin, bench.namespace, 'app=bench', log);
  try {
    const first = await runner.start();
    const firstSampler = new ProcessSampler(first.pid);
    const planeSampler = new ControlPlaneSampler(bench.plane.dir);
    const planeWindow = planeSampler.window();
    const created = new Map<string, number>();
    const running = new Map<string, number>();
    watch.onPod((type, pod) => {
      const name = pod.metadata?.name ?? '';
      if (type === 'DELETED') running.delete(name);
      else if (pod.status?.phase === 'Running') {
        if (!running.has(name)) running.set(name, now());
      } else running.delete(name);
    });
    await watch.start();
    const body = (name: string): V1Pod => ({
      metadata: { name, namespace: bench.namespace, labels: { app: 'bench' } },
      spec: {
        nodeName,
        tolerations: [{ operator: 'Exists' }],
        containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
      },
    });
    log(`filling the node with ${options.pods} pods`);
    await paced(options.pods, options.rate, 64, async i => {
      const name = `fill-${i}`;
      created.set(name, now());
      await bench.admin.requestJson('POST', `/api/v1/namespaces/${bench.namespace}/pods`, {
        body: body(name),
      });
    });
    const capMs = Math.max(120_000, options.pods * 100);
    const deadline = Date.now() + capMs;
    while (running.size < options.pods && Date.now() < deadline) await sleep(250);
    const fillLatencies = [...running].map(([name, t]) => t - created.get(name)!);
    // Let the agent write what it still has queued before it is killed.
    await sleep(5_000);
    const fillRss = currentRssBytes(first.pid);
    const fillPeak = firstSampler.stop().peakRssBytes;

    log('kill -9 the agent; one pod is created while it is down; the agent starts again');
    const killedAt = Date.now();
    await runner.current?.kill();
    await bench.admin.requestJson('POST', `/api/v1/namespaces/${bench.namespace}/pods`, {
      body: body('probe'),
    });
    const second = await runner.start(false);
    const sampler = new ProcessSampler(second.pid, 100);
    await waitForAgentReady(bench.admin, nodeName, runner.startedAt, 300_000, second.exited);
    const readyMs = Date.now() - killedAt;
    while (!running.has('probe') && Date.now() - killedAt < 300_000) await sleep(50);
    const probeRunningMs = running.has('probe') ? running.get('probe')! - killedAt : undefined;
    await sleep(options.afterMs ?? 15_000);
    const settledRss = currentRssBytes(second.pid);
    const usage = sampler.stop();
    const disturbed = options.pods - [...running.keys()].filter(name => name.startsWith('fill-')).length;
    await runner.stop();
    const planeUsage = planeWindow.end();
    planeSampler.stop();
    await sleep(2_500);
    const after = { from: killedAt, to: Date.now() };
    const counted = await countRequests(bench.auditLog, nodeUserName(nodeName), { after });
    const firstWrite = await firstStatusWrite(bench.auditLog, nodeUserName(nodeName), killedAt);
    const report: RestartReport = {
      pods: options.pods,
      machine: machineInfo(),
      loadAverage: { start: loadStart, end: machineInfo().loadAverage },
      fill: {
        createToRunning: summarize(fillLatencies),
        running: fillLatencies.length,
        ...(fillRss !== undefined ? { agentRssMB: mb(fillRss) } : {}),
        agentPeakRssMB: mb(fillPeak),
      },
      restart: {
        readyMs,
        ...(firstWrite !== undefined ? { firstStatusWriteMs: firstWrite - killedAt } : {}),
        ...(probeRunningMs !== undefined ? { probeRunningMs } : {}),
        agent: usageFigures(usage),
        ...(settledRss !== undefined ? { settledRssMB: mb(settledRss) } : {}),
        providerCalls: await callsSince(callLog, killedAt),
        apiRequests: counted.windows.after,
        disturbed,
      },
      controlPlane: usageFiguresByComponent(planeUsage),
    };
    writeFileSync(join(options.outDir, 'report.json'), JSON.stringify(report, null, 2));
    return report;
  } finally {
    await watch.stop();
    await runner.stop();
    await bench.stop();
  }
}

/** When (epoch ms) `username` first wrote a pod status at or after `since`, from the audit log. */
async function firstStatusWrite(
  logPath: string,
  username: string,
  since: number,
): Promise<number | undefined> {
  let first: number | undefined;
  const lines = createInterface({ input: createReadStream(logPath), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.includes(username) || !line.includes('"status"')) continue;
    const event = JSON.parse(line) as {
      user?: { username?: string };
      verb?: string;
      stage?: string;
      requestReceivedTimestamp?: string;
      objectRef?: { resource?: string; subresource?: string };
    };
    if (event.user?.username !== username || event.stage !== 'ResponseComplete') continue;
    if (event.objectRef?.resource !== 'pods' || event.objectRef.subresource !== 'status') continue;
    if (event.verb !== 'patch' && event.verb !== 'update') continue;
    const at = Date.parse(event.requestReceivedTimestamp ?? '');
    if (at >= since && (first === undefined || at < first)) first = at;
  }
  return first;
}

export function renderRestart(report: RestartReport): string {
  const r = report.restart;
  const s = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
  const l = report.fill.createToRunning;
  return [
    `restart of vkubelet on a node with ${report.pods.toLocaleString('en-US')} running pods (mock backend kept across the restart by a journal)`,
    machineLine(report.machine, report.loadAverage),
    '',
    '| measure | value |',
    '| --- | --- |',
    `| fill: pods Running, create → Running p50 / p99 | ${report.fill.running}, ${l.p50.toFixed(0)} / ${l.p99.toFixed(0)} ms |`,
    `| fill: agent RSS before the kill (peak) | ${report.fill.agentRssMB ?? 'n/a'} MB (${report.fill.agentPeakRssMB} MB) |`,
    `| kill -9 → new process alive (lease or heartbeat) | ${s(r.readyMs)} |`,
    `| kill -9 → first status write | ${s(r.firstStatusWriteMs)} |`,
    `| kill -9 → pod created while down seen Running | ${s(r.probeRunningMs)} |`,
    `| new process peak RSS over the relist, CPU; RSS after | ${r.agent.peakRssMB} MB, ${r.agent.cpuSeconds.toFixed(1)} s; ${r.settledRssMB ?? 'n/a'} MB |`,
    `| provider calls by the new process | ${Object.entries(r.providerCalls)
      .map(([op, n]) => `${op} ${n}`)
      .join(', ')} (the pod created while down: 1 create) |`,
    `| fill pods disturbed (not Running afterwards) | ${r.disturbed} |`,
    `| API requests by the new process | ${Object.entries(r.apiRequests)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')} |`,
    `| control plane over the run | ${usageList(report.controlPlane)} |`,
  ].join('\n');
}
