// Start-to-ready time of the control plane: median of N starts, with scheduler + KCM and apiserver-only.
// Run after building: tsc -b tools/testenv && node tools/testenv/bench/start-time.ts [--runs 5] [--build]
// --build also times k8s/build.sh (a no-op when the binaries are cached) and a forced warm rebuild.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startControlPlane, type ControlPlaneOptions } from '../dist/index.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, build: { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive integer, got ${values.runs}`);

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function timeStarts(label: string, options: ControlPlaneOptions): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const cp = await startControlPlane({ name: 'bench', ...options });
    samples.push(performance.now() - t0);
    await cp.stop();
  }
  console.log(
    `${label}: median ${seconds(median(samples))} of ${runs} (min ${seconds(Math.min(...samples))}, max ${seconds(Math.max(...samples))})`,
  );
}

function timeBuild(label: string, env: NodeJS.ProcessEnv): void {
  const script = fileURLToPath(new URL('../k8s/build.sh', import.meta.url));
  const t0 = performance.now();
  execFileSync('bash', [script], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
  console.log(`${label}: ${seconds(performance.now() - t0)}`);
}

if (values.build) {
  timeBuild('build.sh, binaries cached', {});
  timeBuild('build.sh --force equivalent (warm Go build cache, all 5 binaries)', {
    VKUBELET_K8S_FORCE_REBUILD: '1',
  });
}
await timeStarts('start-to-ready, etcd + apiserver + scheduler + KCM', {});
await timeStarts('start-to-ready, etcd + apiserver only', { scheduler: false, controllerManager: false });
