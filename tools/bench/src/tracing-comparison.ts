import { loadavg } from 'node:os';
import { join } from 'node:path';

import { startCollector } from '@vkubelet/otelcol';

import { DEFAULT_AGENT_COMMAND } from './agent-process.js';
import { customAgent } from './agents.js';
import { runBenchmark, type BenchmarkOptions, type BenchmarkReport } from './benchmark.js';

/** The flags that turn on tracing at 100 % sampling (to OTEL_EXPORTER_OTLP_ENDPOINT). */
export const TRACING_ARGS = '--trace-exporter=otlp --trace-sample-rate=always';

export interface TracedRun {
  report: BenchmarkReport;
  /** 1-minute load average when the run started and ended. */
  load: [number, number];
}

export interface TracingComparison {
  off: TracedRun;
  on: TracedRun;
  /** Spans the collector received during the traced run. */
  spans: number;
}

async function measured(run: () => Promise<BenchmarkReport>): Promise<TracedRun> {
  const before = loadavg()[0]!;
  const report = await run();
  return { report, load: [before, loadavg()[0]!] };
}

/**
 * The same benchmark twice: the agent without tracing, then with every span sampled and exported
 * over OTLP to an OpenTelemetry Collector (tools/otelcol) on this machine, for the agent's CPU and
 * memory with tracing next to without.
 */
export async function compareTracing(
  options: Omit<BenchmarkOptions, 'agent'> & { agentCommand?: string; agentLabel?: string },
): Promise<TracingComparison> {
  const { agentCommand = DEFAULT_AGENT_COMMAND, agentLabel = 'vkubelet', ...benchmark } = options;
  const log = options.log ?? (() => {});
  log('tracing off');
  const off = await measured(() =>
    runBenchmark({
      ...benchmark,
      agent: customAgent(agentCommand, agentLabel, 'node'),
      outDir: join(options.outDir, 'tracing-off'),
    }),
  );
  const collector = await startCollector({ name: 'bench' });
  // The agent inherits the bench's environment: the endpoint goes there.
  const previous = process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = collector.httpEndpoint;
  try {
    log(`tracing on, 100 % sampled, to the collector at ${collector.httpEndpoint}`);
    const on = await measured(() =>
      runBenchmark({
        ...benchmark,
        agent: customAgent(`${agentCommand} ${TRACING_ARGS}`, `${agentLabel} + tracing`, 'node'),
        outDir: join(options.outDir, 'tracing-on'),
      }),
    );
    return { off, on, spans: collector.spanCount() };
  } finally {
    if (previous === undefined) delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    else process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = previous;
    await collector.stop();
  }
}

/** The agent's CPU, peak RSS and create → Running latency, tracing off next to on. */
export function renderTracingComparison({ off, on, spans }: TracingComparison): string {
  const row = (label: string, { report, load }: TracedRun) => {
    const running = report.scenarios
      .map(s => `${s.createToRunningVisible.p50.toFixed(0)} / ${s.createToRunningVisible.p99.toFixed(0)}`)
      .join(' · ');
    return `| ${label} | ${report.agentUsage.cpuSeconds.toFixed(1)} | ${report.agentUsage.peakRssMB} | ${running} | ${load[0].toFixed(1)} → ${load[1].toFixed(1)} |`;
  };
  const cpu = (on.report.agentUsage.cpuSeconds / off.report.agentUsage.cpuSeconds - 1) * 100;
  const rss = (on.report.agentUsage.peakRssMB / off.report.agentUsage.peakRssMB - 1) * 100;
  return [
    `scenarios: ${off.report.scenarios.map(s => `${s.pods} pods @ ${s.rate === 'max' ? 'max' : `${s.rate}/s`}`).join(' · ')}`,
    '',
    '| agent | CPU s | peak RSS MB | create → Running seen, ms p50 / p99 | load average |',
    '| --- | --- | --- | --- | --- |',
    row('tracing off', off),
    row('tracing on, 100 % sampled', on),
    '',
    `tracing costs ${cpu.toFixed(0)} % CPU and ${rss.toFixed(0)} % peak RSS; the collector received ${spans} spans`,
  ].join('\n');
}
