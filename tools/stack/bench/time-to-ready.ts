// Time to Ready of the start command per provider: from `bash tools/scripts/start.sh --provider P` to
// its KUBECONFIG line, and the stack's own part of it (the "ready in" line, after setup and build).
//   cold: a fresh cache for what the provider needs (moto's virtualenv, the CRI test images), the
//         control-plane and metrics-server binaries reused (symlinked from the real cache);
//   warm: the real cache, everything in place.
// Run after building: tsc -b tools/stack && node tools/stack/bench/time-to-ready.ts
//   [--providers mock,cri,fargate] [--runs 3] [--no-cold]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { cacheRoot } from '@vkubelet/testenv';
import { errorMessage } from '@vkubelet/provider-kit';

import { PROVIDERS } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    providers: { type: 'string', default: PROVIDERS.map(entry => entry.name).join(',') },
    runs: { type: 'string', default: '3' },
    'no-cold': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive integer, got ${values.runs}`);
const repo = resolve(import.meta.dirname, '../../..');

interface Sample {
  totalMs: number;
  stackMs: number;
}

/** One start: resolves when the KUBECONFIG line appears, then stops the stack (SIGTERM) and waits. */
function startOnce(provider: string, env: NodeJS.ProcessEnv): Promise<Sample> {
  const started = performance.now();
  const child = spawn(
    'bash',
    ['tools/scripts/start.sh', '--provider', provider, '--name', `bench-${provider}`],
    {
      cwd: repo,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  let totalMs: number | undefined;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    // Long cold steps (pip install, image build) show their progress here too.
    for (const line of chunk.split('\n'))
      if (/^\[(setup|start|stack)/.test(line)) process.stderr.write(`  ${line}\n`);
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    if (totalMs === undefined && chunk.includes('KUBECONFIG=')) {
      totalMs = performance.now() - started;
      child.kill('SIGTERM');
    }
  });
  return new Promise((resolveSample, reject) => {
    child.once('exit', code => {
      const stackSeconds = /ready in ([\d.]+) s; Ctrl-C/.exec(stderr)?.[1];
      if (totalMs === undefined || stackSeconds === undefined) {
        reject(
          new Error(`start.sh --provider ${provider} exited ${code} before Ready:\n${stderr.slice(-3000)}`),
        );
      } else {
        resolveSample({ totalMs, stackMs: Number(stackSeconds) * 1000 });
      }
    });
  });
}

/** A cache holding only the control-plane and metrics-server builds (links to the real ones). */
function coldCache(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vk-bench-cache-'));
  for (const shared of ['k8s', 'metrics-server']) symlinkSync(join(cacheRoot(), shared), join(dir, shared));
  return dir;
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const stacks = mkdtempSync(join(tmpdir(), 'vk-bench-stacks-'));
const { KUBECONFIG: _exported, ...inherited } = process.env;
const rows: string[] = [];

async function measure(provider: string): Promise<string> {
  const env = { ...inherited, VKUBELET_STACKS: stacks };
  let cold = '–';
  if (!values['no-cold']) {
    const cache = coldCache();
    try {
      process.stderr.write(`${provider}: cold start (cache ${cache})\n`);
      const sample = await startOnce(provider, { ...env, VKUBELET_CACHE: cache });
      cold = `${seconds(sample.totalMs)} (stack ${seconds(sample.stackMs)})`;
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }
  const warm: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    process.stderr.write(`${provider}: warm start ${i + 1}/${runs}\n`);
    warm.push(await startOnce(provider, env));
  }
  const warmText = `${seconds(median(warm.map(s => s.totalMs)))} (stack ${seconds(median(warm.map(s => s.stackMs)))})`;
  return `| ${provider.padEnd(8)} | ${cold.padEnd(24)} | ${warmText.padEnd(24)} |`;
}

try {
  for (const provider of values.providers.split(',').filter(Boolean)) {
    try {
      rows.push(await measure(provider));
    } catch (error) {
      // e.g. a provider whose package is not written yet: the start command refuses it.
      const reason = /vkubelet-stack: (.*)/.exec(errorMessage(error))?.[1] ?? errorMessage(error);
      rows.push(`| ${provider.padEnd(8)} | ${reason} |`);
    }
  }
} finally {
  rmSync(stacks, { recursive: true, force: true });
}
process.stdout.write(
  [
    `time from the start command to its KUBECONFIG line (median of ${runs} warm runs); "stack" = after setup and build`,
    `| provider | cold                     | warm                     |`,
    `| -------- | ------------------------ | ------------------------ |`,
    ...rows,
    '',
  ].join('\n'),
);
