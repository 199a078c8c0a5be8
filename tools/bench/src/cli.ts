#!/usr/bin/env node
// vkubelet-bench: pod throughput, latency and memory of a virtual-kubelet on a real control plane.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { COMPARE_AGENTS, customAgent, knownAgent, type KnownAgent } from './agents.js';
import { runBenchmark, type BenchmarkReport } from './benchmark.js';
import { IDENTITY_MODES, type IdentityMode } from './identity.js';
import { renderComparison, renderTable } from './table.js';
import { runRestartBench, renderRestart } from './restart.js';
import { POLLING_VIAS, runPollingBench, renderPolling, type PollingVia } from './polling.js';
import { runCriBench, renderCri } from './cri.js';
import { measureImportCosts, renderImportCosts } from './import-costs.js';
import { compareTracing, renderTracingComparison } from './tracing-comparison.js';

const usage = `usage: vkubelet-bench [lifecycle] [--pods 1000,10000] [--rates 100,max] [--compare] [--agents vkubelet,upstream,kwok]
                     [--agent "<command with {kubeconfig} {node} {ca} {providerConfig} {metricsPort} {tlsCert} {tlsKey}>"] [--label NAME]
                     [--identity node|node-rbac] [--isolation fresh|drain] [--cap-s N] [--running-cap-s N] [--gone-cap-s N]
                     [--mock-latency-ms N] [--no-notifier] [--concurrency 64] [--out DIR] [--tracing]
       vkubelet-bench restart [--pods 10000] [--rates max]   kill -9 and restart vkubelet on a full node
       vkubelet-bench polling [--pods 10000] [--rates 100] [--via core,runtime] [--request-latency-ms 10]
                                                             a provider whose backend can only be polled: by
                                                             core (getPodStatus per pod), by the provider
                                                             runtime (100 pods per request), or both in turn
       vkubelet-bench cri [--pods 200] [--rates max]         the CRI provider on a private containerd
       vkubelet-bench imports                                RSS and heap each of the agent's imports adds
  lifecycle (default): starts a control plane and the agent (vkubelet with the mock provider unless
  --agent), creates the pods bound to the node at each rate, deletes them, and prints latencies,
  throughput, the agent's idle and peak RSS and CPU beside the control plane's, and its API requests
  per pod by verb. --compare runs the same scenarios against upstream Virtual Kubelet v1.14.1 and kwok
  v0.8.0 (built from the Go module proxy into ~/.cache/vkubelet/comparators on first use), each on its
  own control plane, and prints a table with the ratios. Caps: how long to wait for Running after the
  last create and for gone after the last delete (default max(120 s, pods × 0.1 s)). --tracing runs
  it twice, the second time with the agent tracing every span to an OpenTelemetry Collector, and
  compares the agent's CPU and memory. Writes DIR/<time>/report.json and report.md.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    pods: { type: 'string' },
    rates: { type: 'string' },
    'mock-latency-ms': { type: 'string', default: '0' },
    'no-notifier': { type: 'boolean', default: false },
    agent: { type: 'string' },
    label: { type: 'string' },
    identity: { type: 'string', default: 'node' },
    compare: { type: 'boolean', default: false },
    agents: { type: 'string' },
    isolation: { type: 'string', default: 'fresh' },
    'cap-s': { type: 'string' },
    'running-cap-s': { type: 'string' },
    'gone-cap-s': { type: 'string' },
    concurrency: { type: 'string', default: '64' },
    out: { type: 'string', default: 'bench-results' },
    tracing: { type: 'boolean', default: false },
    via: { type: 'string', default: POLLING_VIAS.join(',') },
    'request-latency-ms': { type: 'string', default: '10' },
    help: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`vkubelet-bench: ${message}\n${usage}\n`);
  process.exit(2);
}

if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const command = positionals[0] ?? 'lifecycle';
if (positionals.length > 1 || !['lifecycle', 'restart', 'polling', 'cri', 'imports'].includes(command))
  fail(`unknown command ${positionals.join(' ')}`);
const defaults: Record<string, [string, string]> = {
  lifecycle: ['1000,10000', '100,max'],
  restart: ['10000', 'max'],
  polling: ['10000', '100'],
  cri: ['200', 'max'],
  imports: ['1', 'max'],
};
const podCounts = (values.pods ?? defaults[command]![0]).split(',').map(Number);
const rates = (values.rates ?? defaults[command]![1])
  .split(',')
  .map(r => (r === 'max' ? ('max' as const) : Number(r)));
if (podCounts.some(n => !Number.isInteger(n) || n <= 0) || rates.some(r => r !== 'max' && !(r > 0)))
  fail('bad --pods or --rates');
const seconds = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n > 0)) fail(`bad --${name}: ${text}`);
  return n * 1000;
};
const capMs = seconds('cap-s', values['cap-s']);
const runningCapMs = seconds('running-cap-s', values['running-cap-s']) ?? capMs;
const goneCapMs = seconds('gone-cap-s', values['gone-cap-s']) ?? capMs;
const mockLatencyMs = Number(values['mock-latency-ms']);
if (!(mockLatencyMs >= 0)) fail(`bad --mock-latency-ms: ${values['mock-latency-ms']}`);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1) fail(`bad --concurrency: ${values.concurrency}`);
if (!IDENTITY_MODES.includes(values.identity as IdentityMode)) fail(`bad --identity: ${values.identity}`);
if (values.isolation !== 'fresh' && values.isolation !== 'drain')
  fail(`bad --isolation: ${values.isolation}`);
const isolation = values.isolation;
const agentNames = (values.agents ?? (values.compare ? COMPARE_AGENTS.join(',') : ''))
  .split(',')
  .filter(Boolean);
if (agentNames.some(a => !(COMPARE_AGENTS as readonly string[]).includes(a)))
  fail(`bad --agents: ${values.agents} (known: ${COMPARE_AGENTS.join(', ')})`);
if (values.agent && agentNames.length > 0) fail('--agent and --compare/--agents do not go together');

const outDir = resolve(values.out, new Date().toISOString().replace(/[:.]/g, '-'));
mkdirSync(outDir, { recursive: true });
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const write = (name: string, text: string) => {
  writeFileSync(join(outDir, name), `${text}\n`);
  process.stdout.write(`${text}\n\n`);
};

if (values.tracing) {
  if (command !== 'lifecycle' || agentNames.length > 0)
    fail('--tracing goes with the lifecycle scenario of vkubelet alone');
  const comparison = await compareTracing({
    podCounts,
    rates,
    ...(values.agent ? { agentCommand: values.agent } : {}),
    ...(values.label ? { agentLabel: values.label } : {}),
    mockLatencyMs,
    notifier: !values['no-notifier'],
    concurrency,
    runningCapMs,
    goneCapMs,
    isolation,
    outDir,
    log,
  });
  write('tracing.md', renderTracingComparison(comparison));
} else if (command === 'imports') {
  write('report.md', renderImportCosts(await measureImportCosts(log)));
} else if (command === 'restart') {
  const report = await runRestartBench({ pods: podCounts[0]!, rate: rates[0]!, outDir, log });
  write('report.md', renderRestart(report));
} else if (command === 'polling') {
  const vias = values.via.split(',');
  if (vias.length === 0 || vias.some(v => !(POLLING_VIAS as readonly string[]).includes(v)))
    fail(`bad --via: ${values.via} (known: ${POLLING_VIAS.join(', ')})`);
  const requestLatencyMs = Number(values['request-latency-ms']);
  if (!(requestLatencyMs >= 0)) fail(`bad --request-latency-ms: ${values['request-latency-ms']}`);
  const reports = [];
  for (const via of vias as PollingVia[]) {
    log(`polling via ${via}`);
    const viaDir = join(outDir, via);
    mkdirSync(viaDir, { recursive: true });
    reports.push(
      await runPollingBench({
        pods: podCounts[0]!,
        rate: rates[0]!,
        via,
        requestLatencyMs,
        outDir: viaDir,
        log,
      }),
    );
  }
  write('report.md', renderPolling(reports));
} else if (command === 'cri') {
  const report = await runCriBench({ pods: podCounts[0]!, rate: rates[0]!, outDir, log });
  write('report.md', renderCri(report));
} else {
  const agents = values.agent
    ? [
        customAgent(
          values.agent,
          values.label ?? values.agent.split(/\s+/)[0]!,
          values.identity as IdentityMode,
        ),
      ]
    : (agentNames.length > 0 ? agentNames : ['vkubelet']).map(name => knownAgent(name as KnownAgent));
  const reports: BenchmarkReport[] = [];
  for (const agent of agents) {
    const agentDir = agents.length > 1 ? join(outDir, agent.label.split(' ')[0]!) : outDir;
    log(`agent ${agent.label}`);
    const report = await runBenchmark({
      podCounts,
      rates,
      agent,
      mockLatencyMs,
      notifier: !values['no-notifier'],
      concurrency,
      runningCapMs,
      goneCapMs,
      isolation,
      outDir: agentDir,
      log,
    });
    reports.push(report);
    const table = renderTable(report);
    writeFileSync(join(agentDir, 'report.md'), `${table}\n`);
    process.stdout.write(`${table}\n\n`);
  }
  if (reports.length > 1) {
    writeFileSync(join(outDir, 'compare.json'), JSON.stringify(reports, null, 2));
    write('compare.md', renderComparison(reports));
  }
}
process.stdout.write(`reports: ${outDir}\n`);
