import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { errorMessage, isInvalidInput } from '@vkubelet/provider-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { plugin } from '../../src/plugin.js';

describe('fargate config', () => {
  it('fills defaults around the required subnets', () => {
    expect(plugin.parseConfig({ subnets: ['subnet-1'] })).toEqual({
      cluster: 'default',
      createCluster: false,
      subnets: ['subnet-1'],
      securityGroups: [],
      assignPublicIp: false,
      logStreamPrefix: 'vk',
      platformVersion: 'LATEST',
      capacity: { cpu: '20', memory: '40Gi', pods: '20' },
      statusIntervalMs: 5000,
      maxAttempts: 5,
    });
  });

  it('lists every problem with its field path, on one line', () => {
    let error: unknown;
    try {
      plugin.parseConfig({
        cluster: 'bad name',
        subnets: [],
        endpoint: 'ftp://x',
        capacity: { cpu: 'lots' },
        statusIntervalMs: 10,
        surprise: true,
      });
    } catch (err) {
      error = err;
    }
    expect(isInvalidInput(error)).toBe(true);
    expect(errorMessage(error)).toBe(
      'fargate provider config: cluster: must be 1-255 letters, digits, hyphens or underscores; ' +
        'endpoint: Invalid URL; subnets: needs at least one subnet; ' +
        'capacity.cpu: expected a quantity, got "lots"; statusIntervalMs: Too small: expected number to be >=100; ' +
        'surprise: unknown field',
    );
  });

  it('requires an execution role with a log group', () => {
    expect(() => plugin.parseConfig({ subnets: ['s'], logGroup: '/vk' })).toThrow(
      /executionRoleArn: required when logGroup is set/,
    );
    expect(() => plugin.parseConfig({ subnets: ['s'], executionRoleArn: 'exec' })).toThrow(
      /executionRoleArn: must be an IAM role ARN/,
    );
  });

  it('documents every field in the README, generated from the schema', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(plugin.configReference());
  });
});

describe('fargate config file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fargate-config-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads YAML, and JSON as YAML', async () => {
    const yamlPath = join(dir, 'fargate.yaml');
    await writeFile(
      yamlPath,
      'cluster: vk\nregion: eu-west-1\nsubnets: [subnet-a, subnet-b]\ncapacity:\n  pods: 50\n',
    );
    expect(await plugin.loadConfig({ configPath: yamlPath })).toMatchObject({
      cluster: 'vk',
      region: 'eu-west-1',
      subnets: ['subnet-a', 'subnet-b'],
      capacity: { cpu: '20', memory: '40Gi', pods: '50' },
    });
    const jsonPath = join(dir, 'fargate.json');
    await writeFile(jsonPath, JSON.stringify({ subnets: ['subnet-c'], assignPublicIp: true }));
    expect(await plugin.loadConfig({ configPath: jsonPath })).toMatchObject({
      subnets: ['subnet-c'],
      assignPublicIp: true,
    });
  });

  it('names the file in its errors', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'subnets: [unclosed\n');
    await expect(plugin.loadConfig({ configPath: bad })).rejects.toThrow(
      `--provider-config ${bad}: not valid YAML or JSON`,
    );
    const empty = join(dir, 'empty.yaml');
    await writeFile(empty, '');
    await expect(plugin.loadConfig({ configPath: empty })).rejects.toThrow(
      `--provider-config ${empty}: subnets: required`,
    );
    await expect(plugin.loadConfig({ configPath: join(dir, 'missing.yaml') })).rejects.toThrow(
      /--provider-config .*missing\.yaml: cannot read it/,
    );
  });
});
