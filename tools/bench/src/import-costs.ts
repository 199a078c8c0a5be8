import { AGENT_HEAP_FLAGS } from '@vkubelet/core';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Modules resolved from packages/core, as the agent resolves them. */
const coreDir = fileURLToPath(new URL('../../../packages/core/', import.meta.url));

/** What an idle agent may load, each alone and the agent's own alternatives beside them. */
export const IMPORTS: { label: string; specifiers: string[] }[] = [
  { label: 'node:http (ESM import: loads Node’s bundled undici)', specifiers: ['node:http'] },
  { label: 'undici (index)', specifiers: ['undici'] },
  {
    label: 'undici: agent + request API (what core loads)',
    specifiers: ['undici/lib/dispatcher/agent.js', 'undici/lib/api/api-request.js'],
  },
  { label: 'prom-client (index)', specifiers: ['prom-client'] },
  {
    label: 'prom-client: registry + instruments (what core loads)',
    specifiers: [
      'prom-client/lib/registry.js',
      'prom-client/lib/counter.js',
      'prom-client/lib/gauge.js',
      'prom-client/lib/histogram.js',
    ],
  },
  { label: '@opentelemetry/api (prom-client’s CPU collector)', specifiers: ['@opentelemetry/api'] },
  { label: '@peculiar/x509 + reflect-metadata', specifiers: ['reflect-metadata', '@peculiar/x509'] },
  { label: 'yaml', specifiers: ['yaml'] },
  { label: 'js-yaml (what core loads)', specifiers: ['js-yaml'] },
  { label: 'zod (the mock provider’s settings)', specifiers: ['zod'] },
  { label: 'ws', specifiers: ['ws'] },
  { label: 'pino', specifiers: ['pino'] },
  { label: 'commander', specifiers: ['commander'] },
  { label: 'find-my-way', specifiers: ['find-my-way'] },
  {
    label: '@kubernetes/client-node (values; core uses its types only)',
    specifiers: ['@kubernetes/client-node'],
  },
  { label: '@vkubelet/provider-kit/mock', specifiers: ['@vkubelet/provider-kit/mock'] },
  { label: '@vkubelet/core: the virtual-kubelet command', specifiers: ['./dist/cli/main.js'] },
];

export interface ImportCost {
  label: string;
  rssMB: number;
  heapMB: number;
  ms: number;
}

const PROBE = `
import { readFileSync } from 'node:fs';
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const settle = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise(r => setTimeout(r, 20)); } };
await settle();
const before = rss();
const heap = process.memoryUsage().heapUsed;
const started = performance.now();
for (const specifier of JSON.parse(process.env.IMPORT_SPECIFIERS)) await import(specifier);
const ms = performance.now() - started;
await settle();
process.stdout.write(JSON.stringify({ rss: rss() - before, heap: process.memoryUsage().heapUsed - heap, ms }));
`;

/**
 * The resident memory and heap each import adds to a fresh Node process with the agent's heap flags
 * (after full collections before and after), and the time it takes. Figures of separate rows do not
 * add up: each row also pays the first import's fixed costs.
 */
export async function measureImportCosts(log?: (line: string) => void): Promise<ImportCost[]> {
  const costs: ImportCost[] = [];
  for (const { label, specifiers } of IMPORTS) {
    const { stdout } = await run(
      process.execPath,
      [...AGENT_HEAP_FLAGS, '--expose-gc', '--input-type=module', '-e', PROBE],
      // Not in argv: the virtual-kubelet module runs itself when argv[1] is its own path.
      { cwd: coreDir, env: { ...process.env, IMPORT_SPECIFIERS: JSON.stringify(specifiers) } },
    );
    const measured = JSON.parse(stdout) as { rss: number; heap: number; ms: number };
    costs.push({ label, rssMB: measured.rss / 1e6, heapMB: measured.heap / 1e6, ms: measured.ms });
    log?.(`${label}: ${(measured.rss / 1e6).toFixed(1)} MB`);
  }
  return costs;
}

export function renderImportCosts(costs: ImportCost[]): string {
  return [
    `import costs in a fresh Node ${process.version} with the agent's heap flags (${AGENT_HEAP_FLAGS.join(' ')}); rows do not add up`,
    '',
    '| import | RSS added | heap added | time |',
    '| --- | --- | --- | --- |',
    ...costs.map(
      c => `| ${c.label} | ${c.rssMB.toFixed(1)} MB | ${c.heapMB.toFixed(1)} MB | ${c.ms.toFixed(0)} ms |`,
    ),
  ].join('\n');
}
