import type { BenchmarkReport } from './benchmark.js';
import type { LatencySummary } from './percentiles.js';

const ms = (s: LatencySummary | undefined) =>
  s && s.count > 0
    ? `${s.p50.toFixed(0)} / ${s.p90.toFixed(0)} / ${s.p99.toFixed(0)} / ${s.max.toFixed(0)}`
    : 'n/a';

/** The report as a Markdown table (latencies in ms as p50 / p90 / p99 / max). */
export function renderTable(report: BenchmarkReport): string {
  const lines = [
    `agent: ${report.agent} · mock latency ${report.settings.mockLatencyMs} ms · notifier ${report.settings.notifier ? 'on' : 'off'} · ${report.machine.cpus} CPUs`,
    '',
    '| scenario | create → provider call | create → Running seen | provider Running → seen | delete → gone | created/s | Running/s | gone/s | missing |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...report.scenarios.map(
      s =>
        `| ${s.pods} pods @ ${s.rate === 'max' ? 'max' : `${s.rate}/s`} | ${ms(s.createToProviderCall)} | ${ms(s.createToRunningVisible)} | ${ms(s.providerRunningToVisible)} | ${ms(s.deleteToGone)} | ${s.createRate.toFixed(0)} | ${s.runningThroughput.toFixed(0)} | ${s.deleteThroughput.toFixed(0)} | ${s.notRunning + s.notGone} |`,
    ),
    '',
    `agent: peak RSS ${report.agentUsage.peakRssMB} MB, CPU ${report.agentUsage.cpuSeconds.toFixed(1)} s; API requests per pod ${report.apiRequests.perPod.toFixed(2)} (${Object.entries(
      report.apiRequests.byVerb,
    )
      .map(([verb, n]) => `${verb} ${n}`)
      .join(', ')})`,
    `control plane: ${Object.entries(report.controlPlaneUsage)
      .map(
        ([name, u]) =>
          `${name} peak RSS ${Math.round(u.peakRssBytes / 1e6)} MB, CPU ${u.cpuSeconds.toFixed(1)} s`,
      )
      .join('; ')}`,
  ];
  return lines.join('\n');
}
