#!/usr/bin/env node
// vkubelet-bench-streaming: exec and port-forward throughput through the API server, and the agent's memory.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { runStreamingBench } from './streaming.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '1024' },
    agent: { type: 'string' },
    out: { type: 'string', default: 'bench-results' },
  },
});
const bytes = Number(values.mib) * 1024 * 1024;
if (!(bytes > 0)) {
  process.stderr.write('usage: vkubelet-bench-streaming [--mib 1024] [--agent "<command>"] [--out DIR]\n');
  process.exit(2);
}
const outDir = resolve(values.out, `streaming-${new Date().toISOString().replace(/[:.]/g, '-')}`);
mkdirSync(outDir, { recursive: true });
const results = await runStreamingBench({
  bytes,
  outDir,
  agentCommand: values.agent,
  log: line => process.stderr.write(`[bench] ${line}\n`),
});
process.stdout.write(
  `${Number(values.mib)} MiB each\n\n| path | MB/s | seconds | agent peak RSS |\n| --- | --- | --- | --- |\n`,
);
for (const r of results) {
  process.stdout.write(
    `| ${r.path} | ${r.mbPerSecond.toFixed(1)} | ${r.seconds.toFixed(2)} | ${r.agentPeakRssMB === undefined ? '—' : `${r.agentPeakRssMB} MB`} |\n`,
  );
}
