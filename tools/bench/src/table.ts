import type { BenchmarkReport, ScenarioReport, UsageFigures } from './benchmark.js';
import { describeMachine, type MachineInfo } from './machine.js';
import type { LatencySummary } from './percentiles.js';

/** `p50 / p90 / p99 / max` in ms (without max when asked), or n/a for no samples. */
export function latencies(s: LatencySummary | undefined, withMax = true): string {
  if (!s || s.count === 0) return 'n/a';
  const values = withMax ? [s.p50, s.p90, s.p99, s.max] : [s.p50, s.p90, s.p99];
  return values.map(v => v.toFixed(0)).join(' / ');
}

const ms = (s: LatencySummary | undefined) => latencies(s);

/** `latencies` with the unit, for one-column reports. */
export const latenciesMs = (s: LatencySummary): string => (s.count > 0 ? `${latencies(s)} ms` : 'n/a');

/** `name peak MB, CPU s; …` for each process. */
export function usageList(usage: Record<string, UsageFigures>): string {
  return Object.entries(usage)
    .map(([name, u]) => `${name} ${u.peakRssMB} MB, ${u.cpuSeconds.toFixed(1)} s`)
    .join('; ');
}

/** The machine and the load average at the start and end of a run. */
export function machineLine(machine: MachineInfo, load: { start: number[]; end: number[] }): string {
  return `machine: ${describeMachine(machine)}; load average ${load.start[0]?.toFixed(2)} at start, ${load.end[0]?.toFixed(2)} at end`;
}

const num = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export const scenarioTitle = (s: Pick<ScenarioReport, 'pods' | 'rate'>) =>
  `${s.pods.toLocaleString('en-US')} pods @ ${s.rate === 'max' ? 'max' : `${s.rate}/s`}`;

const usage = (u: UsageFigures | undefined) =>
  u ? `${u.peakRssMB} MB, ${u.cpuSeconds.toFixed(1)} s` : 'n/a';

/** `never Running` as `pending at cap / lost`, `never gone` as the count left at the cap. */
export const misses = (s: ScenarioReport) => `${s.pendingAtCap} / ${s.lost}`;

/** Per pod, by `verb resource`: the create phase's requests over pods Running, the delete phase's over pods gone. */
export function perPodBreakdown(s: ScenarioReport): [string, number][] {
  const keys = new Set([
    ...Object.keys(s.apiRequests.createPhase),
    ...Object.keys(s.apiRequests.deletePhase),
  ]);
  return [...keys]
    .map((key): [string, number] => [
      key,
      (s.apiRequests.createPhase[key] ?? 0) / s.running + (s.apiRequests.deletePhase[key] ?? 0) / s.gone,
    ])
    .filter(([, n]) => Number.isFinite(n) && n >= 0.005)
    .sort((a, b) => b[1] - a[1]);
}

export function renderHeader(report: BenchmarkReport): string[] {
  return [
    `agent: ${report.agent.label} — ${report.agent.description}`,
    `identity: ${report.agent.identity} — ${report.agent.identityDescription}`,
    `mock latency ${report.settings.mockLatencyMs} ms · notifier ${report.settings.notifier ? 'on' : 'off'} · ${report.settings.isolation === 'fresh' ? 'a fresh agent per scenario' : 'one agent, node drained between scenarios'}`,
    machineLine(report.machine, report.loadAverage),
    ...report.settings.notes.map(note => `note: ${note}`),
  ];
}

/** The report as Markdown tables (latencies in ms as p50 / p90 / p99 / max). */
export function renderTable(report: BenchmarkReport): string {
  const components = [...new Set(report.scenarios.flatMap(s => Object.keys(s.controlPlane)))].sort();
  const lines = [
    ...renderHeader(report),
    '',
    '| scenario | create → provider call | create → Running seen | provider Running → seen | delete → gone | created/s | Running/s | gone/s | never Running (pending at cap / lost) | never gone | API requests per pod |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...report.scenarios.map(
      s =>
        `| ${scenarioTitle(s)} | ${ms(s.createToProviderCall)} | ${ms(s.createToRunningVisible)} | ${ms(s.providerRunningToVisible)} | ${ms(s.deleteToGone)} | ${num(s.createRate)} | ${num(s.runningThroughput)} | ${num(s.deleteThroughput)} | ${misses(s)} | ${s.notGoneAtCap} | ${num(s.apiRequests.perPod, 2)} |`,
    ),
    '',
    `| scenario | agent idle RSS | agent peak RSS, CPU | ${components.map(c => `${c} peak RSS, CPU`).join(' | ')} | load average |`,
    `| --- | --- | --- | ${components.map(() => '---').join(' | ')} | --- |`,
    ...report.scenarios.map(
      s =>
        `| ${scenarioTitle(s)} | ${s.agent.idleRssMB ?? 'n/a'} MB | ${usage(s.agent)} | ${components.map(c => usage(s.controlPlane[c])).join(' | ')} | ${s.loadAverage[0]?.toFixed(2)} |`,
    ),
    '',
    'API requests per pod lifecycle by verb (create phase over pods Running + delete phase over pods gone):',
    ...report.scenarios.map(
      s =>
        `- ${scenarioTitle(s)}: ${perPodBreakdown(s)
          .map(([key, n]) => `${key} ${n.toFixed(2)}`)
          .join(', ')}`,
    ),
    ...report.scenarios
      .filter(s => s.createErrors > 0 || s.watchRelists > 0 || s.leftovers > 0)
      .map(
        s =>
          `- ${scenarioTitle(s)}: ${s.createErrors} creates failed, the bench's watch listed again ${s.watchRelists} times, ${s.leftovers} pods cleared by the bench afterwards`,
      ),
    '',
    `whole run: agent peak RSS ${report.agentUsage.peakRssMB} MB, CPU ${report.agentUsage.cpuSeconds.toFixed(1)} s; ${usageList(report.controlPlaneUsage)}; API requests ${Object.entries(
      report.apiRequests.byVerb,
    )
      .sort((a, b) => b[1] - a[1])
      .map(([verb, n]) => `${verb} ${n}`)
      .join(', ')}`,
  ];
  return lines.join('\n');
}

const ratio = (a: number, b: number) => {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return 'n/a';
  const r = a / b;
  return `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
};

interface Row {
  measure: string;
  value(s: ScenarioReport): string;
  /** Numbers whose ratio (vkubelet over the other) is printed, or none. */
  ratioOf?(s: ScenarioReport): number[];
}

const ROWS: Row[] = [
  {
    measure: 'Running/s (higher is better)',
    value: s => num(s.runningThroughput),
    ratioOf: s => [s.runningThroughput],
  },
  {
    measure: 'gone/s (higher is better)',
    value: s => num(s.deleteThroughput),
    ratioOf: s => [s.deleteThroughput],
  },
  {
    measure: 'create → Running seen, ms p50 / p90 / p99',
    value: s => pct(s.createToRunningVisible),
    ratioOf: s => [s.createToRunningVisible.p50, s.createToRunningVisible.p90, s.createToRunningVisible.p99],
  },
  {
    measure: 'delete → gone, ms p50 / p90 / p99',
    value: s => pct(s.deleteToGone),
    ratioOf: s => [s.deleteToGone.p50, s.deleteToGone.p90, s.deleteToGone.p99],
  },
  {
    measure: 'API requests per pod (lower is better)',
    value: s => num(s.apiRequests.perPod, 2),
    ratioOf: s => [s.apiRequests.perPod],
  },
  { measure: 'never Running: pending at cap / lost', value: misses },
  { measure: 'never gone at cap', value: s => String(s.notGoneAtCap) },
  {
    measure: 'agent peak RSS, CPU',
    value: s => usage(s.agent),
    ratioOf: s => [s.agent.peakRssMB, s.agent.cpuSeconds],
  },
  {
    measure: 'control plane (apiserver + etcd) CPU s',
    value: s => num(planeCpu(s), 1),
    ratioOf: s => [planeCpu(s)],
  },
];

const pct = (s: LatencySummary) => latencies(s, false);

function planeCpu(s: ScenarioReport): number {
  return Object.values(s.controlPlane).reduce((n, u) => n + u.cpuSeconds, 0);
}

/**
 * vkubelet against the comparators, scenario by scenario: each measure for every agent and the
 * ratios vkubelet / other. The first report is vkubelet's.
 */
export function renderComparison(reports: BenchmarkReport[]): string {
  const [ours, ...others] = reports;
  if (!ours) return '';
  const header = [
    '| scenario | measure | ' +
      reports.map(r => r.agent.label).join(' | ') +
      ' | ' +
      others.map(o => `${ours.agent.label} / ${o.agent.label}`).join(' | ') +
      ' |',
    '| --- | --- | ' +
      reports.map(() => '---').join(' | ') +
      ' | ' +
      others.map(() => '---').join(' | ') +
      ' |',
  ];
  const lines: string[] = [];
  for (const scenario of ours.scenarios) {
    const match = (r: BenchmarkReport) =>
      r.scenarios.find(s => s.pods === scenario.pods && s.rate === scenario.rate);
    ROWS.forEach((row, i) => {
      const cells = reports.map(r => {
        const s = match(r);
        return s ? row.value(s) : 'not run';
      });
      const ratios = others.map(o => {
        const s = match(o);
        if (!row.ratioOf || !s) return '';
        const a = row.ratioOf(scenario);
        const b = row.ratioOf(s);
        return a.map((x, k) => ratio(x, b[k]!)).join(' / ');
      });
      lines.push(
        `| ${i === 0 ? scenarioTitle(scenario) : ''} | ${row.measure} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`,
      );
    });
  }
  const agents = reports.map(
    r =>
      `- ${r.agent.label}: ${r.agent.description}; identity ${r.agent.identity} (${r.agent.identityDescription}); load average ${r.loadAverage.start[0]?.toFixed(2)} → ${r.loadAverage.end[0]?.toFixed(2)}`,
  );
  const notes = reports.flatMap(r => r.settings.notes.map(n => `- note: ${n}`));
  return [
    `machine: ${describeMachine(ours.machine)}`,
    `each agent on its own control plane of the same build and flags; ${ours.settings.isolation === 'fresh' ? 'a fresh agent process per scenario' : 'one agent, node drained between scenarios'}`,
    ...agents,
    ...notes,
    '',
    ...header,
    ...lines,
  ].join('\n');
}
