import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import {
  definePlugin,
  errorMessage,
  isInvalidInput,
  quantitySchema,
  type Provider,
} from '../../../src/index.js';
import { fakeProviderContext } from '../../../src/testing/index.js';

const schema = z
  .object({
    region: z.string().min(1).meta({ env: 'TEST_REGION', description: 'where pods run' }),
    cluster: z.string().default('default'),
    capacity: z
      .object({
        cpu: quantitySchema({ positive: true }).default('20').meta({ env: 'TEST_QUOTA_CPU' }),
        pods: z.number().int().positive().default(20).meta({ env: 'TEST_QUOTA_PODS' }),
      })
      .strict()
      .prefault({}),
    subnets: z.array(z.string()).default([]).meta({ env: 'TEST_SUBNETS' }),
    publicIP: z.boolean().default(false).meta({ env: 'TEST_PUBLIC_IP' }),
    mode: z.enum(['fast', 'safe']).optional(),
  })
  .strict();

const created: unknown[] = [];
const plugin = definePlugin({
  name: 'test',
  configSchema: schema,
  async create(_context, config): Promise<Provider> {
    created.push(config);
    return {} as Provider;
  },
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'define-plugin-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isInvalidInput(error)).toBe(true);
  return errorMessage(error);
}

describe('definePlugin', () => {
  it('loads YAML or JSON, fills defaults, and hands the parsed config to create', async () => {
    const path = await file('ok.yaml', 'region: eu-west-1\ncapacity:\n  cpu: 500m\n');
    await plugin.create(fakeProviderContext({ configPath: path }));
    expect(created.at(-1)).toEqual({
      region: 'eu-west-1',
      cluster: 'default',
      capacity: { cpu: '500m', pods: 20 },
      subnets: [],
      publicIP: false,
    });
    const json = await file('ok.json', JSON.stringify({ region: 'x', mode: 'safe' }));
    expect(await plugin.loadConfig({ configPath: json, env: {} })).toMatchObject({
      region: 'x',
      mode: 'safe',
    });
  });

  it('reads the environment variables the schema names for fields the file leaves out', async () => {
    const path = await file('partial.yaml', 'capacity:\n  pods: 7\n');
    const config = await plugin.loadConfig({
      configPath: path,
      env: {
        TEST_REGION: 'from-env',
        TEST_QUOTA_CPU: '4',
        TEST_QUOTA_PODS: '99',
        TEST_SUBNETS: 'a, b',
        TEST_PUBLIC_IP: 'true',
      },
    });
    // The file wins where it sets a field.
    expect(config).toMatchObject({
      region: 'from-env',
      capacity: { cpu: '4', pods: 7 },
      subnets: ['a', 'b'],
      publicIP: true,
    });
    expect(await plugin.loadConfig({ env: { TEST_REGION: 'only-env' } })).toMatchObject({
      region: 'only-env',
    });
  });

  it('reports every problem on one line, naming the file or variable and the field', async () => {
    const bad = await file('bad.yaml', 'region: eu\ncapacity:\n  cpu: lots\n  extra: 1\nmode: slow\n');
    expect(await failure(plugin.loadConfig({ configPath: bad, env: {} }))).toBe(
      `--provider-config ${bad}: capacity.cpu: expected a quantity, got "lots"; capacity.extra: unknown field; ` +
        'mode: expected one of "fast"|"safe"',
    );
    const fromEnv = await failure(plugin.loadConfig({ configPath: bad.replace('bad', 'nothing'), env: {} }));
    expect(fromEnv).toMatch(/^--provider-config .*nothing\.yaml: cannot read it: ENOENT/);
    expect(await failure(plugin.loadConfig({ env: { TEST_QUOTA_PODS: 'many' } }))).toBe(
      '--provider-config (none given): region: required (or set TEST_REGION); TEST_QUOTA_PODS: capacity.pods: expected number, received string ("many")',
    );
    const broken = await file('broken.yaml', 'region: [unclosed\n');
    const message = await failure(plugin.create(fakeProviderContext({ configPath: broken })));
    expect(message).toMatch(new RegExp(`^--provider-config ${broken}: not valid YAML or JSON: `));
    expect(message).not.toContain('\n');
    const list = await file('list.yaml', '- a\n- b\n');
    expect(await failure(plugin.loadConfig({ configPath: list, env: {} }))).toBe(
      `--provider-config ${list}: (the whole file): expected object, received array`,
    );
  });

  it('validates a config given directly', () => {
    expect(plugin.parseConfig({ region: 'r' }).cluster).toBe('default');
    expect(() => plugin.parseConfig({})).toThrow(
      'test provider config: region: required (or set TEST_REGION)',
    );
  });

  it('documents the fields from the schema', () => {
    expect(plugin.configFields()).toEqual([
      { path: 'region', type: 'string', required: true, env: 'TEST_REGION', description: 'where pods run' },
      { path: 'cluster', type: 'string', required: false, default: 'default' },
      { path: 'capacity.cpu', type: 'quantity', required: false, default: '20', env: 'TEST_QUOTA_CPU' },
      { path: 'capacity.pods', type: 'integer', required: false, default: 20, env: 'TEST_QUOTA_PODS' },
      { path: 'subnets', type: 'string[]', required: false, default: [], env: 'TEST_SUBNETS' },
      { path: 'publicIP', type: 'boolean', required: false, default: false, env: 'TEST_PUBLIC_IP' },
      { path: 'mode', type: '"fast" | "safe"', required: false },
    ]);
  });

  it('renders the reference as a Markdown table that prettier leaves as it is', async () => {
    const table = plugin.configReference();
    const rows = table.split('\n');
    expect(rows[0]).toMatch(/^\| field +\| type +\| default +\| env +\| description +\|$/);
    expect(rows[2]).toMatch(
      /^\| `region` +\| string +\| \(required\) +\| `TEST_REGION` +\| where pods run \|$/,
    );
    expect(rows.at(-1)).toMatch(/^\| `mode` +\| "fast" \\\| "safe" \| – +\| +\| +\|$/);
    const prettier = await import('prettier');
    const markdown = `# Config\n\n${table}\n`;
    expect(await prettier.format(markdown, { parser: 'markdown' })).toBe(markdown);
  });
});
