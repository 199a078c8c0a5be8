import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

import type { AgentProcess } from './agent-process.js';
import { vkubeletAgent, type AgentKind } from './agents.js';
import { countRequests, requestsPerPod, type RequestCounts, type TimeWindow } from './audit.js';
import { ControlPlaneSampler } from './control-plane-usage.js';
import { AgentRunner, clearPods, sleep, startBenchPlane } from './harness.js';
import { describeIdentity, nodeUserName, type IdentityMode } from './identity.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { summarize, type LatencySummary } from './percentiles.js';
import { currentRssBytes, ProcessSampler, type ProcessUsage } from './process-sampler.js';
import { readProviderCalls } from './provider-calls.js';
import { runScenario, type ScenarioMeasurements } from './scenario.js';

/** Scenarios on one agent: each on an empty node, by a fresh agent process or after a drain. */
export type Isolation = 'fresh' | 'drain';

export interface BenchmarkOptions {
  podCounts: number[];
  rates: (number | 'max')[];
  /** The agent under test (default vkubelet from this repository). */
  agent?: AgentKind;
  mockLatencyMs?: number;
  notifier?: boolean;
  concurrency?: number;
  /** Wait for Running after the last create, ms (default max(120 s, pods × 100 ms)). */
  runningCapMs?: number;
  /** Wait for gone after the last delete, ms (default max(120 s, pods × 100 ms)). */
  goneCapMs?: number;
  /** Default 'fresh': a new agent process per scenario. */
  isolation?: Isolation;
  /** An idle agent settles this long before its RSS is read and the scenario starts (default 5 s). */
  settleMs?: number;
  outDir: string;
  log?: (line: string) => void;
}

export const defaultCapMs = (pods: number): number => Math.max(120_000, pods * 100);

export interface ApiRequestFigures {
  /** Requests by `verb resource` while pods were created and became Running. */
  createPhase: RequestCounts;
  /** Requests by `verb resource` while pods were deleted and went away. */
  deletePhase: RequestCounts;
  /**
   * Requests per pod lifecycle: create-phase requests over pods seen Running plus delete-phase
   * requests over pods gone, so an agent that fell behind is divided by what it did.
   */
  perPod: number;
}

/** Figures in MB of 10^6 bytes. */
export interface UsageFigures {
  peakRssMB: number;
  cpuSeconds: number;
}

export interface ScenarioReport extends Omit<
  ScenarioMeasurements,
  'createToRunning' | 'deleteToGone' | 'phases' | 'timeline'
> {
  scenario: string;
  pods: number;
  rate: number | 'max';
  createToProviderCall?: LatencySummary;
  createToRunningVisible: LatencySummary;
  providerRunningToVisible?: LatencySummary;
  deleteToGone: LatencySummary;
  /** Pods the bench force-deleted afterwards so the next scenario starts on an empty node. */
  leftovers: number;
  runningCapMs: number;
  goneCapMs: number;
  agent: UsageFigures & { idleRssMB?: number };
  controlPlane: Record<string, UsageFigures>;
  apiRequests: ApiRequestFigures;
  loadAverage: number[];
}

export interface AgentInfo {
  label: string;
  description: string;
  identity: IdentityMode;
  identityDescription: string;
  benchMock: boolean;
}

export interface BenchmarkReport {
  agent: AgentInfo;
  startedAt: string;
  machine: MachineInfo;
  settings: { mockLatencyMs: number; notifier: boolean; isolation: Isolation; notes: string[] };
  scenarios: ScenarioReport[];
  /** Over the whole run: the highest peak of any agent process, their CPU summed. */
  agentUsage: UsageFigures;
  controlPlaneUsage: Record<string, UsageFigures>;
  apiRequests: { byVerb: RequestCounts; perPod: number };
  /** One-minute load average when the run started and ended. */
  loadAverage: { start: number[]; end: number[] };
}

const loadAverage = (): number[] => loadavg().map(n => Math.round(n * 100) / 100);

export const mb = (bytes: number): number => Math.round(bytes / 1e6);
export const usageFigures = (u: ProcessUsage): UsageFigures => ({
  peakRssMB: mb(u.peakRssBytes),
  cpuSeconds: u.cpuSeconds,
});

/** The figures of each control-plane component (kube-apiserver, etcd) by name. */
export const usageFiguresByComponent = (usage: Record<string, ProcessUsage>): Record<string, UsageFigures> =>
  Object.fromEntries(Object.entries(usage).map(([name, u]) => [name, usageFigures(u)]));

/** Lines saying which options an agent ignores, so a table never implies they applied. */
export function settingNotes(agent: AgentKind, mockLatencyMs: number, notifier: boolean): string[] {
  if (agent.benchMock) return [];
  const notes: string[] = [];
  if (mockLatencyMs > 0)
    notes.push(`--mock-latency-ms ${mockLatencyMs} does nothing for ${agent.label}: it runs no bench mock`);
  if (!notifier) notes.push(`--no-notifier does nothing for ${agent.label}: it runs no bench mock`);
  notes.push(`${agent.label} writes no provider call log: provider-side latencies are not measured`);
  return notes;
}

/**
 * Starts a control plane, runs every scenario against the agent (each on an empty node) and writes
 * the report. Figures per scenario: latencies, throughput, the agent's idle and peak RSS and CPU, the
 * control plane's, and API requests by verb (from the audit log).
 */
export async function runBenchmark(options: BenchmarkOptions): Promise<BenchmarkReport> {
  const log = options.log ?? (() => {});
  const agentKind = options.agent ?? vkubeletAgent();
  const isolation = options.isolation ?? 'fresh';
  const mockLatencyMs = options.mockLatencyMs ?? 0;
  const notifier = options.notifier ?? true;
  const settleMs = options.settleMs ?? 5_000;
  const loadStart = loadAverage();
  const nodeName = 'vkubelet-bench';
  const callLog = join(options.outDir, 'provider-calls.jsonl');
  const maxPods = Math.max(...options.podCounts);
  const bench = await startBenchPlane({ outDir: options.outDir, nodeName, log });
  const runner = new AgentRunner(
    bench,
    agentKind,
    {
      pods: String(maxPods * 2),
      cpu: '10000',
      memory: '40Ti',
      startupDelayMs: 0,
      latencyMs: mockLatencyMs,
      notifier,
      callLog,
    },
    log,
  );
  const samplers: ProcessSampler[] = [];
  const track = (agent: AgentProcess): ProcessSampler => {
    const sampler = new ProcessSampler(agent.pid);
    samplers.push(sampler);
    return sampler;
  };
  try {
    let sampler = track(await runner.start());
    const planeSampler = new ControlPlaneSampler(bench.plane.dir);
    const scenarios: ScenarioReport[] = [];
    const windows: Record<string, TimeWindow> = {};
    for (const pods of options.podCounts) {
      for (const rate of options.rates) {
        const name = `s${scenarios.length}-${pods}-${rate}`;
        if (scenarios.length > 0 && isolation === 'fresh') sampler = track(await runner.start());
        await sleep(settleMs);
        for (const window of Object.values(windows)) if (window.to === Infinity) window.to = Date.now();
        const idleRss = currentRssBytes(sampler.pid);
        const runningCapMs = options.runningCapMs ?? defaultCapMs(pods);
        const goneCapMs = options.goneCapMs ?? defaultCapMs(pods);
        log(`scenario ${name}: ${pods} pods at ${rate === 'max' ? 'maximum rate' : `${rate}/s`}`);
        const agentWindow = sampler.window();
        const planeWindow = planeSampler.window();
        const measured = await runScenario(bench.admin, {
          name,
          nodeName,
          namespace: bench.namespace,
          pods,
          rate,
          concurrency: options.concurrency ?? 64,
          runningCapMs,
          goneCapMs,
          log,
          onProgress: ({ created, running, gone, phase }) => {
            const rss = currentRssBytes(sampler.pid);
            log(
              `${name} ${phase}: ${created} created, ${running} Running, ${gone} gone; agent RSS ${rss === undefined ? '?' : mb(rss)} MB`,
            );
          },
        });
        const agentUsage = agentWindow.end();
        const planeUsage = planeWindow.end();
        // Requests the agent still sends after the last pod is gone (events it queued, late status
        // writes) belong to this scenario: its delete window runs until the agent is stopped (fresh)
        // or the next scenario starts (drain).
        windows[`${name}/create`] = { from: measured.phases.start, to: measured.phases.runningEnd };
        const deleteWindow = { from: measured.phases.deleteStart, to: Infinity };
        windows[`${name}/delete`] = deleteWindow;
        // The next scenario starts on an empty node: what the agent did not finish is cleared, by
        // admin force deletes, after the agent stopped (fresh) or while it keeps running (drain).
        const finalPeakRss = sampler.sample().peakRssBytes;
        if (isolation === 'fresh') {
          await runner.stop();
          deleteWindow.to = Date.now();
        }
        const leftovers = await clearPods(bench);
        const calls = readProviderCalls(callLog);
        const toCall: number[] = [];
        const addedOnRunning: number[] = [];
        for (const [pod, t] of measured.timeline) {
          const seen = calls.get(`bench/${pod}`);
          if (seen?.createPod !== undefined && t.created !== undefined)
            toCall.push(seen.createPod - t.created);
          if (seen?.running !== undefined && t.running !== undefined)
            addedOnRunning.push(t.running - seen.running);
        }
        // A fresh agent's whole-life high-water mark is exact; a drained one's peak is sampled.
        const peakRssBytes = isolation === 'fresh' ? finalPeakRss : agentUsage.peakRssBytes;
        scenarios.push({
          scenario: name,
          pods,
          rate,
          createToProviderCall: toCall.length > 0 ? summarize(toCall) : undefined,
          createToRunningVisible: measured.createToRunning,
          providerRunningToVisible: addedOnRunning.length > 0 ? summarize(addedOnRunning) : undefined,
          deleteToGone: measured.deleteToGone,
          createRate: measured.createRate,
          createErrors: measured.createErrors,
          runningThroughput: measured.runningThroughput,
          deleteThroughput: measured.deleteThroughput,
          running: measured.running,
          pendingAtCap: measured.pendingAtCap,
          lost: measured.lost,
          gone: measured.gone,
          notGoneAtCap: measured.notGoneAtCap,
          watchRelists: measured.watchRelists,
          leftovers,
          runningCapMs,
          goneCapMs,
          agent: {
            ...usageFigures({ peakRssBytes, cpuSeconds: agentUsage.cpuSeconds }),
            ...(idleRss !== undefined ? { idleRssMB: mb(idleRss) } : {}),
          },
          controlPlane: usageFiguresByComponent(planeUsage),
          apiRequests: { createPhase: {}, deletePhase: {}, perPod: NaN },
          loadAverage: loadAverage(),
        });
      }
    }
    await runner.stop();
    for (const window of Object.values(windows)) if (window.to === Infinity) window.to = Date.now();
    const agentRuns = samplers.map(s => s.stop());
    const controlPlaneUsage = planeSampler.stop();
    // Batched audit events are flushed at most a second later.
    await sleep(2_500);
    const counted = await countRequests(bench.auditLog, nodeUserName(nodeName), windows);
    let lifecycles = 0;
    for (const scenario of scenarios) {
      const createPhase = counted.windows[`${scenario.scenario}/create`] ?? {};
      const deletePhase = counted.windows[`${scenario.scenario}/delete`] ?? {};
      const perPod = requestsPerPod(createPhase, deletePhase, scenario.running, scenario.gone);
      scenario.apiRequests = { createPhase, deletePhase, perPod };
      if (Number.isFinite(perPod)) lifecycles += perPod * scenario.pods;
    }
    const totalPods = scenarios.reduce((n, s) => n + s.pods, 0);
    const report: BenchmarkReport = {
      agent: {
        label: agentKind.label,
        description: agentKind.description,
        identity: agentKind.identity,
        identityDescription: describeIdentity(agentKind.identity),
        benchMock: agentKind.benchMock,
      },
      startedAt: new Date().toISOString(),
      machine: machineInfo(),
      settings: {
        mockLatencyMs,
        notifier,
        isolation,
        notes: settingNotes(agentKind, mockLatencyMs, notifier),
      },
      scenarios,
      agentUsage: {
        peakRssMB: mb(Math.max(...agentRuns.map(u => u.peakRssBytes))),
        cpuSeconds: agentRuns.reduce((n, u) => n + u.cpuSeconds, 0),
      },
      controlPlaneUsage: Object.fromEntries(
        Object.entries(controlPlaneUsage).map(([k, u]) => [k, usageFigures(u)]),
      ),
      apiRequests: { byVerb: counted.total, perPod: totalPods > 0 ? lifecycles / totalPods : NaN },
      loadAverage: { start: loadStart, end: loadAverage() },
    };
    writeFileSync(join(options.outDir, 'report.json'), JSON.stringify(report, null, 2));
    return report;
  } finally {
    await runner.stop();
    for (const s of samplers) s.stop();
    await bench.stop();
  }
}
