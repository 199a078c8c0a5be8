import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { auditFlags, countRequests } from './audit.js';
import { ControlPlaneSampler } from './control-plane-usage.js';
import { startBenchCluster } from './harness.js';
import { summarize, type LatencySummary } from './percentiles.js';
import { ProcessSampler, type ProcessUsage } from './process-sampler.js';
import { readProviderCalls } from './provider-calls.js';
import { runScenario } from './scenario.js';

export interface BenchmarkOptions {
  podCounts: number[];
  rates: (number | 'max')[];
  /** Agent command template; placeholders {kubeconfig} {node} {ca} {providerConfig} {metricsPort}. */
  agentCommand?: string;
  /** Label of the agent in the report. */
  agentLabel?: string;
  mockLatencyMs?: number;
  notifier?: boolean;
  concurrency?: number;
  timeoutMs?: number;
  outDir: string;
  log?: (line: string) => void;
}

export interface ScenarioReport {
  scenario: string;
  pods: number;
  rate: number | 'max';
  createToProviderCall?: LatencySummary;
  createToRunningVisible: LatencySummary;
  providerRunningToVisible?: LatencySummary;
  deleteToGone: LatencySummary;
  createRate: number;
  runningThroughput: number;
  deleteThroughput: number;
  notRunning: number;
  notGone: number;
}

export interface BenchmarkReport {
  agent: string;
  startedAt: string;
  machine: { cpus: number; node: string };
  settings: { mockLatencyMs: number; notifier: boolean };
  scenarios: ScenarioReport[];
  /** peakRssMB in MB of 10^6 bytes. */
  agentUsage: ProcessUsage & { peakRssMB: number };
  controlPlaneUsage: Record<string, ProcessUsage>;
  apiRequests: { byVerb: Record<string, number>; perPod: number };
}

/** Starts a control plane and an agent, runs every scenario through them and writes the report. */
export async function runBenchmark(options: BenchmarkOptions): Promise<BenchmarkReport> {
  const log = options.log ?? (() => {});
  mkdirSync(options.outDir, { recursive: true });
  const nodeName = 'vkubelet-bench';
  const auditDir = join(options.outDir, 'audit');
  mkdirSync(auditDir, { recursive: true });
  const audit = auditFlags(auditDir);
  const callLog = join(options.outDir, 'provider-calls.jsonl');
  const maxPods = Math.max(...options.podCounts);
  const cluster = await startBenchCluster({
    outDir: options.outDir,
    nodeName,
    agentCommand: options.agentCommand,
    mockSettings: {
      pods: String(maxPods * 2),
      cpu: '10000',
      memory: '40Ti',
      startupDelayMs: 0,
      latencyMs: options.mockLatencyMs ?? 0,
      notifier: options.notifier ?? true,
      callLog,
    },
    controlPlane: { name: 'bench', scheduler: false, controllerManager: false, apiServerFlags: audit.flags },
    log,
  });
  const { plane, admin, agent } = cluster;
  try {
    await admin.requestJson('POST', '/api/v1/namespaces', { body: { metadata: { name: 'bench' } } });
    const sampler = new ProcessSampler(agent.pid);
    const planeSampler = new ControlPlaneSampler(plane.dir, agent.pid);

    const scenarios: ScenarioReport[] = [];
    let totalPods = 0;
    for (const pods of options.podCounts) {
      for (const rate of options.rates) {
        const name = `s${scenarios.length}-${pods}-${rate}`;
        log(`scenario ${name}: ${pods} pods at ${rate === 'max' ? 'maximum rate' : `${rate}/s`}`);
        const measured = await runScenario(admin, {
          name,
          nodeName,
          namespace: 'bench',
          pods,
          rate,
          concurrency: options.concurrency ?? 64,
          timeoutMs: options.timeoutMs ?? Math.max(120_000, pods * 100),
          log,
        });
        totalPods += pods;
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
        scenarios.push({
          scenario: name,
          pods,
          rate,
          createToProviderCall: toCall.length > 0 ? summarize(toCall) : undefined,
          createToRunningVisible: measured.createToRunning,
          providerRunningToVisible: addedOnRunning.length > 0 ? summarize(addedOnRunning) : undefined,
          deleteToGone: measured.deleteToGone,
          createRate: measured.createRate,
          runningThroughput: measured.runningThroughput,
          deleteThroughput: measured.deleteThroughput,
          notRunning: measured.notRunning,
          notGone: measured.notGone,
        });
      }
    }
    const agentUsage = sampler.stop();
    const controlPlaneUsage = planeSampler.stop();
    await agent.stop();
    // Batched audit events are flushed at most a second later.
    await new Promise(resolve => setTimeout(resolve, 2_500));
    const byVerb = await countRequests(audit.logPath, `system:node:${nodeName}`);
    const requests = Object.values(byVerb).reduce((a, b) => a + b, 0);
    const report: BenchmarkReport = {
      agent:
        options.agentLabel ?? (options.agentCommand ? options.agentCommand.split(/\s+/)[0]! : 'vkubelet'),
      startedAt: new Date().toISOString(),
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      settings: { mockLatencyMs: options.mockLatencyMs ?? 0, notifier: options.notifier ?? true },
      scenarios,
      agentUsage: { ...agentUsage, peakRssMB: Math.round(agentUsage.peakRssBytes / 1e6) },
      controlPlaneUsage,
      apiRequests: { byVerb, perPod: totalPods > 0 ? requests / totalPods : NaN },
    };
    writeFileSync(join(options.outDir, 'report.json'), JSON.stringify(report, null, 2));
    return report;
  } finally {
    await cluster.stop();
  }
}
