import { KubeConfig, type V1Node } from '@kubernetes/client-node';
import { KubeClient } from '@vkubelet/core';
import { startControlPlane } from '@vkubelet/testenv';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { DEFAULT_AGENT_COMMAND, expandCommand, startAgent } from './agent-process.js';
import { auditFlags, countRequests } from './audit.js';
import { ControlPlaneSampler } from './control-plane-usage.js';
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
  agentUsage: ProcessUsage & { peakRssMB: number };
  controlPlaneUsage: Record<string, ProcessUsage>;
  apiRequests: { byVerb: Record<string, number>; perPod: number };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForReadyNode(
  client: KubeClient,
  name: string,
  timeoutMs: number,
  exited: Promise<unknown>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void exited.then(() => (dead = true));
  while (Date.now() < deadline && !dead) {
    try {
      const node = await client.requestJson<V1Node>('GET', `/api/v1/nodes/${name}`);
      if (node.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True')) return;
    } catch {
      // Not registered yet.
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  throw new Error(
    dead
      ? 'the agent exited before its node was Ready (see agent.log)'
      : `node ${name} not Ready in ${timeoutMs} ms`,
  );
}

/** Starts a control plane and an agent, runs every scenario through them and writes the report. */
export async function runBenchmark(options: BenchmarkOptions): Promise<BenchmarkReport> {
  const log = options.log ?? (() => {});
  mkdirSync(options.outDir, { recursive: true });
  const nodeName = 'vkubelet-bench';
  const auditDir = join(options.outDir, 'audit');
  mkdirSync(auditDir, { recursive: true });
  const audit = auditFlags(auditDir);
  log('starting the control plane (etcd, kube-apiserver) on 127.0.0.1');
  const plane = await startControlPlane({
    name: 'bench',
    scheduler: false,
    controllerManager: false,
    apiServerFlags: audit.flags,
  });
  const agentLog = join(options.outDir, 'agent.log');
  const callLog = join(options.outDir, 'provider-calls.jsonl');
  let agent: ReturnType<typeof startAgent> | undefined;
  try {
    const adminConfig = new KubeConfig();
    adminConfig.loadFromFile(plane.adminKubeconfigPath);
    const admin = KubeClient.create({ kubeConfig: adminConfig, qps: 2_000, burst: 4_000 });
    await admin.requestJson('POST', '/api/v1/namespaces', { body: { metadata: { name: 'bench' } } });

    const providerConfig = join(options.outDir, 'mock-provider.json');
    const maxPods = Math.max(...options.podCounts);
    writeFileSync(
      providerConfig,
      JSON.stringify({
        [nodeName]: {
          pods: String(maxPods * 2),
          cpu: '10000',
          memory: '40Ti',
          startupDelayMs: 0,
          latencyMs: options.mockLatencyMs ?? 0,
          notifier: options.notifier ?? true,
          callLog,
        },
      }),
    );
    const argv = expandCommand(options.agentCommand ?? DEFAULT_AGENT_COMMAND, {
      kubeconfig: await plane.nodeKubeconfig(nodeName),
      node: nodeName,
      ca: plane.ca.certPath,
      providerConfig,
      metricsPort: String(await freePort()),
    });
    log(`starting the agent: ${argv.join(' ')}`);
    agent = startAgent(argv, agentLog);
    const sampler = new ProcessSampler(agent.pid);
    await waitForReadyNode(admin, nodeName, 60_000, agent.exited);
    const planeSampler = new ControlPlaneSampler(plane.dir);

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
    await admin.close();
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
      agentUsage: { ...agentUsage, peakRssMB: Math.round(agentUsage.peakRssBytes / 1048576) },
      controlPlaneUsage,
      apiRequests: { byVerb, perPod: totalPods > 0 ? requests / totalPods : NaN },
    };
    writeFileSync(join(options.outDir, 'report.json'), JSON.stringify(report, null, 2));
    return report;
  } finally {
    await agent?.stop();
    await plane.stop();
  }
}
