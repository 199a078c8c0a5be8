import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DEFAULT_AGENT_COMMAND } from './agent-process.js';
import { customAgent, vkubeletAgent, type AgentKind } from './agents.js';
import { countRequests, requestsPerPod, type RequestCounts } from './audit.js';
import { defaultCapMs, mb, usageFigures, usageFiguresByComponent, type UsageFigures } from './benchmark.js';
import { ControlPlaneSampler } from './control-plane-usage.js';
import { AgentRunner, counterValue, sleep, startBenchPlane } from './harness.js';
import { nodeUserName } from './identity.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { latenciesMs, machineLine, usageList } from './table.js';
import type { LatencySummary } from './percentiles.js';
import { currentRssBytes, ProcessSampler } from './process-sampler.js';
import { runScenario } from './scenario.js';

/**
 * Who polls: `core`, the status poller of core for a provider without notifyPods (the mock with
 * `notifier: false`: one getPodStatus per pod per round); `runtime`, the provider runtime's refresh
 * loop on a backend read in batches of 100 pods per request (polled-provider.ts), which pushes
 * changes through notifyPods.
 */
export type PollingVia = 'core' | 'runtime';
export const POLLING_VIAS: readonly PollingVia[] = ['core', 'runtime'];

export interface PollingBenchOptions {
  pods: number;
  rate: number | 'max';
  outDir: string;
  via: PollingVia;
  /** Simulated round trip of each backend request of the `runtime` variant (default 10 ms). */
  requestLatencyMs?: number;
  /** Poll rounds to measure on the idle, full node (default 6: 30 s at vkubelet's 5 s interval). */
  rounds?: number;
  log?: (line: string) => void;
}

/** vkubelet's (and upstream's) default status poll interval. */
const POLL_INTERVAL_MS = 5_000;

export interface PollingReport {
  via: PollingVia;
  /** What polls, and what one read is. */
  description: string;
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
    /**
     * Status reads per round: getPodStatus calls (from the agent's metrics) for `core`, describe
     * requests to the backend (from its request log) for `runtime`.
     */
    readsPerRound?: number;
    /** Pods each read asked about. */
    podsPerRead?: number;
    apiRequests: RequestCounts;
    controlPlane: Record<string, UsageFigures>;
  };
  agent: UsageFigures;
  /** Each control-plane component over the whole run. */
  controlPlane: Record<string, UsageFigures>;
  apiRequestsPerPod: number;
}

// The built module, also when this file runs from source (tests): the agent is a separate process.
const polledProvider = fileURLToPath(new URL('../dist/polled-provider.js', import.meta.url));

/** Backend requests in the runtime variant's request log between two times (epoch ms). */
export function readsInWindow(path: string, from: number, to: number): { requests: number; pods: number } {
  const reads = { requests: 0, pods: 0 };
  if (!existsSync(path)) return reads;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const entry = JSON.parse(line) as { t: number; op: string; tasks: number };
    if (entry.op !== 'describe' || entry.t < from || entry.t >= to) continue;
    reads.requests++;
    reads.pods += entry.tasks;
  }
  return reads;
}

function pollingAgent(options: PollingBenchOptions, requestLog: string) {
  const node = { pods: String(options.pods * 2), cpu: '10000', memory: '40Ti', startupDelayMs: 0 };
  if (options.via === 'core') {
    return {
      agent: vkubeletAgent(),
      settings: { ...node, notifier: false },
      description: 'mock provider without notifier, getPodStatus per pod every 5 s',
    };
  }
  const requestLatencyMs = options.requestLatencyMs ?? 10;
  // The provider's name is a module path here; the taint value defaults to it and must be a label value.
  const agent: AgentKind = customAgent(
    DEFAULT_AGENT_COMMAND.replace('--provider=mock', `--provider=${polledProvider}`),
    'vkubelet',
    'node',
    'virtual-kubelet with the provider runtime on a backend read in batches',
    { VKUBELET_TAINT_VALUE: 'mock' },
  );
  return {
    agent,
    settings: { ...node, requestLog, requestLatencyMs, batchSize: 100, refreshIntervalMs: POLL_INTERVAL_MS },
    description: `refresh of 100 pods per backend request (${requestLatencyMs} ms each, one at a time) every 5 s, changes pushed through notifyPods`,
  };
}

/**
 * vkubelet with a provider that cannot be notified by its backend: status comes from polling every
 * 5 s, by core's poller or by the provider runtime's batched refresh (`via`). Fills the node, then
 * measures CPU per poll round on the idle full node, and the status latency (create → Running seen,
 * which includes waiting for the next round).
 */
export async function runPollingBench(options: PollingBenchOptions): Promise<PollingReport> {
  const log = options.log ?? (() => {});
  const loadStart = machineInfo().loadAverage;
  const nodeName = 'vkubelet-bench';
  const requestLog = join(options.outDir, 'backend-requests.jsonl');
  const { agent: agentKind, settings, description } = pollingAgent(options, requestLog);
  const bench = await startBenchPlane({ outDir: options.outDir, nodeName, log });
  const runner = new AgentRunner(bench, agentKind, settings, log);
  try {
    const agent = await runner.start();
    const sampler = new ProcessSampler(agent.pid);
    const planeSampler = new ControlPlaneSampler(bench.plane.dir);
    const nominalRounds = options.rounds ?? 6;
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
        log(`measuring ${nominalRounds} poll intervals on the idle node`);
        const before = await runner.metrics();
        const agentWindow = sampler.window();
        const planeWindow = planeSampler.window();
        idleWindow = { from: Date.now(), to: 0 };
        await sleep(nominalRounds * POLL_INTERVAL_MS);
        idleWindow.to = Date.now();
        const agentUsage = agentWindow.end();
        const planeUsage = planeWindow.end();
        const afterMetrics = await runner.metrics();
        const calls = (m: string | undefined) =>
          m === undefined
            ? undefined
            : counterValue(m, 'vkubelet_provider_call_duration_seconds_count', 'operation="getStatus"');
        const [callsBefore, callsAfter] = [calls(before), calls(afterMetrics)];
        const reads =
          options.via === 'runtime'
            ? readsInWindow(requestLog, idleWindow.from, idleWindow.to)
            : callsBefore !== undefined && callsAfter !== undefined
              ? { requests: callsAfter - callsBefore, pods: callsAfter - callsBefore }
              : undefined;
        // A round is a pass over every pod; the runtime's passes start 5 s after the last one ended.
        const rounds = reads && reads.pods > 0 ? reads.pods / options.pods : nominalRounds;
        const rss = currentRssBytes(agent.pid);
        idle = {
          seconds: (idleWindow.to - idleWindow.from) / 1000,
          rounds,
          agentCpuSeconds: agentUsage.cpuSeconds,
          cpuPerRoundMs: (agentUsage.cpuSeconds * 1000) / rounds,
          ...(rss !== undefined ? { agentRssMB: mb(rss) } : {}),
          ...(reads && reads.requests > 0
            ? { readsPerRound: reads.requests / rounds, podsPerRead: reads.pods / reads.requests }
            : {}),
          apiRequests: {},
          controlPlane: usageFiguresByComponent(planeUsage),
        };
      },
    });
    await runner.stop();
    const usage = sampler.stop();
    const runPlaneUsage = planeSampler.stop();
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
      via: options.via,
      description,
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
      controlPlane: usageFiguresByComponent(runPlaneUsage),
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

const VIA_TITLES: Record<PollingVia, string> = {
  core: 'core poller (getPodStatus)',
  runtime: 'provider runtime (batched refresh)',
};

/** One table, a column per variant, for reports of the same pod count. */
export function renderPolling(reports: readonly PollingReport[]): string {
  const first = reports[0];
  if (!first) return 'no polling runs';
  const row = (measure: string, value: (r: PollingReport) => string) =>
    `| ${measure} | ${reports.map(value).join(' | ')} |`;
  const idleApi = (r: PollingReport) =>
    Object.entries(r.idle.apiRequests)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  return [
    `polling providers (status polled every 5 s, no push from the backend) on a node with ${first.pods.toLocaleString('en-US')} pods`,
    ...reports.map(r => `- ${VIA_TITLES[r.via]}: ${r.description}; ${machineLine(r.machine, r.loadAverage)}`),
    '',
    `| measure | ${reports.map(r => VIA_TITLES[r.via]).join(' | ')} |`,
    `| --- |${reports.map(() => ' --- |').join('')}`,
    row('create → Running seen (p50 / p90 / p99 / max)', r => latenciesMs(r.createToRunning)),
    row('delete → gone (p50 / p90 / p99 / max)', r => latenciesMs(r.deleteToGone)),
    row(
      'Running/s, gone/s',
      r =>
        `${r.runningThroughput.toFixed(0)}, ${r.deleteThroughput.toFixed(0)} (${r.running} Running, ${r.gone} gone)`,
    ),
    row(
      'idle full node: agent CPU per poll round',
      r =>
        `${r.idle.cpuPerRoundMs.toFixed(0)} ms (${r.idle.agentCpuSeconds.toFixed(1)} s over ${r.idle.rounds.toFixed(1)} rounds, ${r.idle.seconds.toFixed(0)} s)`,
    ),
    row('idle full node: status reads per round (pods per read)', r =>
      r.idle.readsPerRound === undefined
        ? 'n/a'
        : `${r.idle.readsPerRound.toFixed(0)} (${r.idle.podsPerRead?.toFixed(0) ?? 'n/a'})`,
    ),
    row('idle full node: agent RSS', r => `${r.idle.agentRssMB ?? 'n/a'} MB`),
    row('idle full node: API requests', idleApi),
    row('idle full node: control plane peak RSS, CPU', r => usageList(r.idle.controlPlane)),
    row(
      'agent over the run: peak RSS, CPU',
      r => `${r.agent.peakRssMB} MB, ${r.agent.cpuSeconds.toFixed(1)} s`,
    ),
    row('control plane over the run: peak RSS, CPU', r => usageList(r.controlPlane)),
    row('API requests per pod', r => r.apiRequestsPerPod.toFixed(2)),
  ].join('\n');
}
