import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

import { CONFORMANCE_CHECKS, runConformanceChecks } from '../../../src/conformance/index.js';
import { noopLogger, noopMeter } from '../../../src/index.js';
import { InMemoryProvider, plugin } from './minimal-provider.js';

describe('the README example provider', () => {
  it('is the code the README shows, verbatim', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const source = await readFile(new URL('./minimal-provider.ts', import.meta.url), 'utf8');
    const shown = source.replace(/^\/\/ eslint-disable-next-line.*\n/m, '');
    expect(readme).toContain(`\`\`\`ts\n${shown}\`\`\``);
  });

  it('passes every lifecycle check and is not credited with capabilities it lacks', async () => {
    const provider = new InMemoryProvider({ internalIP: '192.0.2.1' });
    const report = await runConformanceChecks({
      name: 'in-memory',
      createProvider: async () => provider,
      capabilities: {},
      timeouts: { podRunningMs: 2_000, podExitMs: 2_000, checkMs: 10_000 },
    });
    const failed = report.results.filter(r => r.status === 'failed');
    expect(failed).toEqual([]);
    expect(report.summary.passed).toBeGreaterThanOrEqual(8);
    expect(report.summary.passed + report.summary['not-applicable']).toBe(CONFORMANCE_CHECKS.length);
  }, 30_000);

  it('loads through its plugin', async () => {
    const context = {
      nodeName: 'n',
      operatingSystem: 'linux',
      internalIP: '192.0.2.1',
      daemonPort: 10250,
      clusterDomain: 'cluster.local',
      resources: {
        getConfigMap: async () => undefined,
        getSecret: async () => undefined,
        listServices: async () => [],
      },
      logger: noopLogger,
      metrics: noopMeter,
    };
    expect(plugin.name).toBe('in-memory');
    expect(await plugin.create(context)).toBeInstanceOf(InMemoryProvider);
  });
});
