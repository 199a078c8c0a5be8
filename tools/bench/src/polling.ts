import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { vkubeletAgent } from './agents.js';
import { countRequests, requestsPerPod, type RequestCounts } from './audit.js';
import { defaultCapMs, mb, usageFigures, type UsageFigures } from './benchmark.js';
import { ControlPlaneSampler } from './control-plane-usage.js';
import { AgentRunner, counterValue, sleep, startBenchPlane } from './harness.js';
import { nodeUserName } from './identity.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { latenciesMs, machineLine, usageList } from './table.js';
import type { LatencySummary } from './percentiles.js';
import { currentRssBytes, ProcessSampler } from './process-sampler.js';
import { runScenario } from './scenario.js';

export interface PollingBenchOptions {
  pods: number;
  rate: number | 'max';
  outDir: string;
  /** Poll rounds to measure on the idle, full node (default 6: 30 s at vkubelet's 5 s interval). */
  rounds?: number;
  log?: (line: string) => void;
}

/** vkubelet's (and upstream's) default status poll interval. */
const POLL_INTERVAL_MS = 5_000;

export interface PollingReport {
  pods: number;
  machine: MachineInfo;
  loadAverage: { start: number[]; end: number[] };
  createToRunning: LatencySummary;
  deleteToGone: LatencySummary;
  running: number;
  gone: number;
  runningThroughput: number;
  deleteThroughput: number;
  /** The full node at rest: only polling goes on. */
  idle: {
    seconds: number;
    rounds: number;
    agentCpuSeconds: number;
    cpuPerRoundMs: number;
    agentRssMB?: number;
    /** getPodStatus calls per round, from the agent's own metrics. */
    providerCallsPerRound?: number;
    apiRequests: RequestCounts;
    controlPlane: Record<string, UsageFigures>;
  };
  agent: UsageFigures;
  apiRequestsPerPod: number;
}

/**
 * vkubelet with a provider that cannot notify (`--no-notifier` mock): status comes from polling every
 * 5 s. Fills the node, then measures CPU per poll round on the idle full node, and the status latency
 * (create → Running seen, which includes waiting for the next round).
 */
export async function runPollingBench(options: PollingBenchOptions): Promise<PollingReport> {
  const log = options.log ?? (() => {});
  const loadStart = machineInfo().loadAverage;
  const nodeName = 'vkubelet-bench';
  const bench = await startBenchPlane({ outDir: options.outDir, nodeName, log });
  const runner = new AgentRunner(
    bench,
    vkubeletAgent(),
    { pods: String(options.pods * 2), cpu: '10000', memory: '40Ti', startupDelayMs: 0, notifier: false },
    log,
  );
  try {
    const agent = await runner.start();
    const sampler = new ProcessSampler(agent.pid);
    const planeSampler = new ControlPlaneSampler(bench.plane.dir);
    const rounds = options.rounds ?? 6;
    let idle: PollingReport['idle'] | undefined;
    let idleWindow = { from: 0, to: 0 };
    const measured = await runScenario(bench.admin, {
      name: 'poll',
      nodeName,
      namespace: bench.namespace,
      pods: options.pods,
      rate: options.rate,
      concurrency: 64,
      runningCapMs: defaultCapMs(options.pods),
      goneCapMs: defaultCapMs(options.pods),
      log,
      beforeDelete: async () => {
        // Statuses written after the last Running was seen settle first.
        await sleep(POLL_INTERVAL_MS);
        log(`measuring ${rounds} poll rounds on the idle node`);
        const before = await runner.metrics();
        const agentWindow = sampler.window();
        const planeWindow = planeSampler.window();
        idleWindow = { from: Date.now(), to: 0 };
        await sleep(rounds * POLL_INTERVAL_MS);
        idleWindow.to = Date.now();
        const agentUsage = agentWindow.end();
        const planeUsage = planeWindow.end();
        const afterMetrics = await runner.metrics();
        const calls = (m: string | undefined) =>
          m === undefined
            ? undefined
            : counterValue(m, 'vkubelet_provider_call_duration_seconds_count', 'operation="getStatus"');
        const [callsBefore, callsAfter] = [calls(before), calls(afterMetrics)];
        const rss = currentRssBytes(agent.pid);
        idle = {
          seconds: (idleWindow.to - idleWindow.from) / 1000,
          rounds,
          agentCpuSeconds: agentUsage.cpuSeconds,
          cpuPerRoundMs: (agentUsage.cpuSeconds * 1000) / rounds,
          ...(rss !== undefined ? { agentRssMB: mb(rss) } : {}),
          ...(callsBefore !== undefined && callsAfter !== undefined
            ? { providerCallsPerRound: (callsAfter - callsBefore) / rounds }
            : {}),
          apiRequests: {},
          controlPlane: Object.fromEntries(Object.entries(planeUsage).map(([k, u]) => [k, usageFigures(u)])),
        };
      },
    });
    await runner.stop();
    const usage = sampler.stop();
    planeSampler.stop();
    await sleep(2_500);
    const counted = await countRequests(bench.auditLog, nodeUserName(nodeName), {
      idle: idleWindow,
      create: { from: measured.phases.start, to: measured.phases.runningEnd },
      delete: { from: measured.phases.deleteStart, to: measured.phases.end },
    });
    if (!idle) throw new Error('the node never became idle');
    const finished: PollingReport['idle'] = idle;
    finished.apiRequests = counted.windows.idle;
    const report: PollingReport = {
      pods: options.pods,
      machine: machineInfo(),
      loadAverage: { start: loadStart, end: machineInfo().loadAverage },
      createToRunning: measured.createToRunning,
      deleteToGone: measured.deleteToGone,
      running: measured.running,
      gone: measured.gone,
      runningThroughput: measured.runningThroughput,
      deleteThroughput: measured.deleteThroughput,
      idle: finished,
      agent: usageFigures(usage),
      apiRequestsPerPod: requestsPerPod(
        counted.windows.create,
        counted.windows.delete,
        measured.running,
        measured.gone,
      ),
    };
    writeFileSync(join(options.outDir, 'report.json'), JSON.stringify(report, null, 2));
    return report;
  } finally {
    await runner.stop();
    await bench.stop();
  }
}

export function renderPolling(report: PollingReport): string {
  const idle = report.idle;
  return [
    `polling provider (mock without notifier, status polled every 5 s) on a node with ${report.pods.toLocaleString('en-US')} pods`,
    machineLine(report.machine, report.loadAverage),
    '',
    '| measure | value |',
    '| --- | --- |',
    `| create → Running seen (p50 / p90 / p99 / max) | ${latenciesMs(report.createToRunning)} |`,
    `| delete → gone (p50 / p90 / p99 / max) | ${latenciesMs(report.deleteToGone)} |`,
    `| Running/s, gone/s | ${report.runningThroughput.toFixed(0)}, ${report.deleteThroughput.toFixed(0)} (${report.running} Running, ${report.gone} gone) |`,
    `| idle full node: agent CPU per poll round | ${idle.cpuPerRoundMs.toFixed(0)} ms (${idle.agentCpuSeconds.toFixed(1)} s over ${idle.rounds} rounds, ${idle.seconds.toFixed(0)} s) |`,
    `| idle full node: provider status calls per round | ${idle.providerCallsPerRound?.toFixed(0) ?? 'n/a'} |`,
    `| idle full node: agent RSS | ${idle.agentRssMB ?? 'n/a'} MB |`,
    `| idle full node: API requests | ${
      Object.entries(idle.apiRequests)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    } |`,
    `| idle full node: control plane | ${usageList(idle.controlPlane)} |`,
    `| agent over the run: peak RSS, CPU | ${report.agent.peakRssMB} MB, ${report.agent.cpuSeconds.toFixed(1)} s |`,
    `| API requests per pod | ${report.apiRequestsPerPod.toFixed(2)} |`,
  ].join('\n');
}
