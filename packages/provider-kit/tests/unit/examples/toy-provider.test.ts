import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { V1Node } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';

import { CONFORMANCE_CHECKS, runConformanceChecks } from '../../../src/conformance/index.js';
import { fakeProviderContext } from '../../../src/testing/index.js';
import { connectToyCloud } from './toy-cloud.js';
import { plugin, ToyProvider, toyConfigSchema } from './toy-provider.js';
import { errorMessage, isInvalidInput } from '../../../src/index.js';

const providers: ToyProvider[] = [];
afterAll(async () => {
  await Promise.all(providers.map(p => p.close()));
  connectToyCloud('toy://conformance').close();
});

describe('the guide’s example provider', () => {
  it('is the code the README shows, verbatim', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const source = await readFile(new URL('./toy-provider.ts', import.meta.url), 'utf8');
    const shown = source.replace(/^\/\/ eslint-disable-next-line.*\n/m, '');
    expect(readme).toContain(`\`\`\`ts\n${shown}\`\`\``);
  });

  it('passes every conformance check of what it declares, and is credited with nothing else', async () => {
    const cloud = connectToyCloud('toy://conformance');
    const context = fakeProviderContext();
    const config = toyConfigSchema.parse({ refreshIntervalMs: 100 });
    const report = await runConformanceChecks({
      name: 'toy',
      createProvider: async () => {
        const provider = new ToyProvider(cloud, config, context);
        providers.push(provider);
        await provider.start();
        return provider;
      },
      capabilities: {
        notifier: true,
        exitCodes: true,
        restartPolicies: true,
        initContainers: true,
        multiContainer: true,
        logs: true,
        followLogs: true,
        persistence: true,
      },
      listBackendResources: async () => cloud.ids(),
      timeouts: { podRunningMs: 5_000, podExitMs: 5_000, checkMs: 20_000 },
    });
    expect(report.results.filter(r => r.status === 'failed')).toEqual([]);
    expect(report.summary.passed).toBe(22);
    expect(report.summary.passed + report.summary['not-applicable']).toBe(CONFORMANCE_CHECKS.length);
    // Statuses come from the refresh loop: one describe request per batch, never one per pod.
    expect(cloud.calls.filter(c => c.startsWith('describe:')).every(c => Number(c.slice(9)) <= 50)).toBe(
      true,
    );
  }, 120_000);
});

describe('the example’s plugin', () => {
  let dir: string | undefined;
  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  it('reads its YAML config, with the environment for what the file leaves out', async () => {
    dir = await mkdtemp(join(tmpdir(), 'toy-config-'));
    const configPath = join(dir, 'toy.yaml');
    await writeFile(configPath, 'endpoint: toy://plugin\ncapacity:\n  pods: 10\n');
    process.env['TOY_QUOTA_CPU'] = '4';
    try {
      const provider = (await plugin.create(fakeProviderContext({ configPath }))) as ToyProvider;
      providers.push(provider);
      const node: V1Node = {};
      provider.configureNode(node);
      expect(node.status?.capacity).toEqual({ cpu: '4', memory: '32Gi', pods: '10' });
    } finally {
      delete process.env['TOY_QUOTA_CPU'];
    }
  });

  it('refuses a bad config in one line naming the file and the field', async () => {
    dir ??= await mkdtemp(join(tmpdir(), 'toy-config-'));
    const configPath = join(dir, 'bad.yaml');
    await writeFile(configPath, 'capacity:\n  cpu: lots\n');
    const error = await plugin.create(fakeProviderContext({ configPath })).catch((err: unknown) => err);
    expect(isInvalidInput(error)).toBe(true);
    expect(errorMessage(error)).toBe(
      `--provider-config ${configPath}: capacity.cpu: expected a quantity, got "lots"`,
    );
  });

  it('documents its config from the schema, in the guide', async () => {
    expect(plugin.configReference()).toContain('`TOY_QUOTA_CPU`');
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(plugin.configReference());
  });
});
