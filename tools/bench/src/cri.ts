import { startContainerd } from '@vkubelet/containerd';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { DEFAULT_AGENT_COMMAND } from './agent-process.js';
import { customAgent } from './agents.js';
import { countRequests, requestsPerPod, type RequestCounts } from './audit.js';
import { defaultCapMs, mb, usageFigures, usageFiguresByComponent, type UsageFigures } from './benchmark.js';
import { ControlPlaneSampler } from './control-plane-usage.js';
import { AgentRunner, sleep, startBenchPlane } from './harness.js';
import { nodeUserName } from './identity.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { latenciesMs, machineLine, usageList } from './table.js';
import type { LatencySummary } from './percentiles.js';
import { currentRssBytes, ProcessSampler } from './process-sampler.js';
import { runScenario } from './scenario.js';

export interface CriBenchOptions {
  pods: number;
  rate: number | 'max';
  outDir: string;
  log?: (line: string) => void;
}

export interface CriReport {
  pods: number;
  machine: MachineInfo;
  loadAverage: { start: number[]; end: number[] };
  createToRunning: LatencySummary;
  deleteToGone: LatencySummary;
  createRate: number;
  runningThroughput: number;
  deleteThroughput: number;
  running: number;
  pendingAtCap: number;
  lost: number;
  notGoneAtCap: number;
  agent: UsageFigures & { idleRssMB?: number; fullRssMB?: number };
  containerd: UsageFigures;
  /** containerd's shims (one per pod sandbox) with every pod Running: how many, their RSS summed. */
  shimsAtFull: { count: number; rssMB: number };
  controlPlane: Record<string, UsageFigures>;
  apiRequests: { createPhase: RequestCounts; deletePhase: RequestCounts; perPod: number };
}

/** Processes whose command line mentions `text`, with their resident memory. */
function processesMentioning(text: string): { pid: number; rssBytes: number }[] {
  const found: { pid: number; rssBytes: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) continue;
      found.push({ pid, rssBytes: currentRssBytes(pid) ?? 0 });
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}

/**
 * The CRI provider on a private containerd (tools/containerd): real busybox containers, created at
 * `rate`, Running seen through the API server, then deleted. The container traps SIGTERM, as a
 * well-behaved app does, so deletion does not wait out the grace period.
 */
export async function runCriBench(options: CriBenchOptions): Promise<CriReport> {
  const log = options.log ?? (() => {});
  const loadStart = machineInfo().loadAverage;
  const nodeName = 'vkubelet-bench';
  log('starting a private containerd');
  const containerd = await startContainerd();
  let bench: Awaited<ReturnType<typeof startBenchPlane>> | undefined;
  let runner: AgentRunner | undefined;
  try {
    bench = await startBenchPlane({ outDir: options.outDir, nodeName, log });
    const criConfig = join(options.outDir, 'cri.json');
    writeFileSync(
      criConfig,
      JSON.stringify({
        runtimeEndpoint: containerd.endpoint,
        podRoot: containerd.podRoot,
        cgroupParent: containerd.cgroupParent,
        maxPods: options.pods + 10,
      }),
    );
    const agent = customAgent(
      DEFAULT_AGENT_COMMAND.replace('--provider=mock', '--provider=cri').replace(
        '--provider-config={providerConfig}',
        `--provider-config=${criConfig}`,
      ),
      'vkubelet (CRI)',
      'node',
      'virtual-kubelet --provider cri, private containerd',
    );
    runner = new AgentRunner(bench, agent, {}, log);
    const process = await runner.start();
    const sampler = new ProcessSampler(process.pid);
    const [containerdPid] = processesMentioning(containerd.dir)
      .filter(p => readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim() === 'containerd')
      .map(p => p.pid);
    const containerdSampler = containerdPid !== undefined ? new ProcessSampler(containerdPid) : undefined;
    const planeSampler = new ControlPlaneSampler(bench.plane.dir);
    await sleep(5_000);
    const idleRss = currentRssBytes(process.pid);
    const agentWindow = sampler.window();
    const containerdWindow = containerdSampler?.window();
    const planeWindow = planeSampler.window();
    let fullRss: number | undefined;
    let shims = { count: 0, rssMB: 0 };
    const measured = await runScenario(bench.admin, {
      name: 'cri',
      nodeName,
      namespace: bench.namespace,
      pods: options.pods,
      rate: options.rate,
      concurrency: 16,
      runningCapMs: defaultCapMs(options.pods),
      goneCapMs: defaultCapMs(options.pods),
      log,
      podSpec: {
        automountServiceAccountToken: false,
        containers: [
          {
            name: 'app',
            image: containerd.images.busybox,
            imagePullPolicy: 'IfNotPresent',
            command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'],
          },
        ],
      },
      beforeDelete: async () => {
        fullRss = currentRssBytes(process.pid);
        const running = processesMentioning(containerd.dir).filter(p =>
          readFileSync(`/proc/${p.pid}/comm`, 'utf8').startsWith('containerd-shim'),
        );
        shims = { count: running.length, rssMB: mb(running.reduce((n, p) => n + p.rssBytes, 0)) };
      },
    });
    const agentUsage = agentWindow.end();
    const containerdUsage = containerdWindow?.end() ?? { peakRssBytes: 0, cpuSeconds: NaN };
    const planeUsage = planeWindow.end();
    await runner.stop();
    sampler.stop();
    containerdSampler?.stop();
    planeSampler.stop();
    await sleep(2_500);
    const counted = await countRequests(bench.auditLog, nodeUserName(nodeName), {
      create: { from: measured.phases.start, to: measured.phases.runningEnd },
      delete: { from: measured.phases.deleteStart, to: measured.phases.end },
    });
    const report: CriReport = {
      pods: options.pods,
      machine: machineInfo(),
      loadAverage: { start: loadStart, end: machineInfo().loadAverage },
      createToRunning: measured.createToRunning,
      deleteToGone: measured.deleteToGone,
      createRate: measured.createRate,
      runningThroughput: measured.runningThroughput,
      deleteThroughput: measured.deleteThroughput,
      running: measured.running,
      pendingAtCap: measured.pendingAtCap,
      lost: measured.lost,
      notGoneAtCap: measured.notGoneAtCap,
      agent: {
        peakRssMB: mb(agentUsage.peakRssBytes),
        cpuSeconds: agentUsage.cpuSeconds,
        ...(idleRss !== undefined ? { idleRssMB: mb(idleRss) } : {}),
        ...(fullRss !== undefined ? { fullRssMB: mb(fullRss) } : {}),
      },
      containerd: usageFigures(containerdUsage),
      shimsAtFull: shims,
      controlPlane: usageFiguresByComponent(planeUsage),
      apiRequests: {
        createPhase: counted.windows.create,
        deletePhase: counted.windows.delete,
        perPod: requestsPerPod(
          counted.windows.create,
          counted.windows.delete,
          measured.running,
          measured.gone,
        ),
      },
    };
    writeFileSync(join(options.outDir, 'report.json'), JSON.stringify(report, null, 2));
    return report;
  } finally {
    await runner?.stop();
    await bench?.stop();
    await containerd.stop();
  }
}

export function renderCri(report: CriReport): string {
  const a = report.agent;
  return [
    `CRI provider, ${report.pods} real busybox containers on a private containerd`,
    machineLine(report.machine, report.loadAverage),
    '',
    '| measure | value |',
    '| --- | --- |',
    `| create → Running seen (p50 / p90 / p99 / max) | ${latenciesMs(report.createToRunning)} |`,
    `| delete → gone (p50 / p90 / p99 / max) | ${latenciesMs(report.deleteToGone)} |`,
    `| created/s, Running/s, gone/s | ${report.createRate.toFixed(0)}, ${report.runningThroughput.toFixed(1)}, ${report.deleteThroughput.toFixed(1)} |`,
    `| never Running (pending at cap / lost), never gone | ${report.pendingAtCap} / ${report.lost}, ${report.notGoneAtCap} |`,
    `| agent RSS idle, with every pod Running, peak; CPU | ${a.idleRssMB ?? 'n/a'} MB, ${a.fullRssMB ?? 'n/a'} MB, ${a.peakRssMB} MB; ${a.cpuSeconds.toFixed(1)} s |`,
    `| containerd peak RSS, CPU | ${report.containerd.peakRssMB} MB, ${report.containerd.cpuSeconds.toFixed(1)} s |`,
    `| shims with every pod Running | ${report.shimsAtFull.count}, ${report.shimsAtFull.rssMB} MB in all |`,
    `| control plane | ${usageList(report.controlPlane)} |`,
    `| API requests per pod | ${report.apiRequests.perPod.toFixed(2)} |`,
  ].join('\n');
}
