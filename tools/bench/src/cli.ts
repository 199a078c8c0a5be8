#!/usr/bin/env node
// vkubelet-bench: pod throughput, latency and memory of a virtual-kubelet on a real control plane.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { runBenchmark } from './benchmark.js';
import { renderTable } from './table.js';
import { compareTracing, renderTracingComparison } from './tracing-comparison.js';

const usage = `usage: vkubelet-bench [--pods 1000,10000] [--rates 100,max] [--mock-latency-ms N] [--no-notifier]
                     [--agent "<command with {kubeconfig} {node} {ca} {providerConfig} {metricsPort}>"]
                     [--label NAME] [--out DIR] [--tracing]
  Starts a control plane and the agent (vkubelet with the mock provider by default), creates the pods
  bound to the node at each rate, deletes them, and prints latencies, throughput, the agent's peak RSS
  and CPU, and its API requests per pod. Writes DIR/report.json and DIR/report.md.
  --tracing runs it twice, the second time with the agent tracing every span to an OpenTelemetry
  Collector, and compares the agent's CPU and memory.`;

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '1000,10000' },
    rates: { type: 'string', default: '100,max' },
    'mock-latency-ms': { type: 'string', default: '0' },
    'no-notifier': { type: 'boolean', default: false },
    agent: { type: 'string' },
    label: { type: 'string' },
    out: { type: 'string', default: 'bench-results' },
    tracing: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const podCounts = values.pods.split(',').map(Number);
const rates = values.rates.split(',').map(r => (r === 'max' ? ('max' as const) : Number(r)));
if (podCounts.some(n => !Number.isInteger(n) || n <= 0) || rates.some(r => r !== 'max' && !(r > 0))) {
  process.stderr.write(`vkubelet-bench: bad --pods or --rates\n${usage}\n`);
  process.exit(2);
}
const outDir = resolve(values.out, new Date().toISOString().replace(/[:.]/g, '-'));
const options = {
  podCounts,
  rates,
  agentCommand: values.agent,
  agentLabel: values.label,
  mockLatencyMs: Number(values['mock-latency-ms']),
  notifier: !values['no-notifier'],
  outDir,
  log: (line: string) => process.stderr.write(`[bench] ${line}\n`),
};
if (values.tracing) {
  const comparison = renderTracingComparison(await compareTracing(options));
  writeFileSync(join(outDir, 'tracing.md'), `${comparison}\n`);
  process.stdout.write(`${comparison}\n\nreports: ${outDir}/tracing-{off,on}/report.json\n`);
  process.exit(0);
}
const report = await runBenchmark(options);
const table = renderTable(report);
writeFileSync(join(outDir, 'report.md'), `${table}\n`);
process.stdout.write(`${table}\n\nreport: ${join(outDir, 'report.json')}\n`);
