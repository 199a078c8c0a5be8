import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadFargateConfig, parseFargateConfig } from '../../src/config.js';

describe('parseFargateConfig', () => {
  it('fills defaults around the required subnets', () => {
    expect(parseFargateConfig({ subnets: ['subnet-1'] })).toEqual({
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

  it('lists every problem with its field path', () => {
    let message = '';
    try {
      parseFargateConfig({
        cluster: 'bad name',
        subnets: [],
        endpoint: 'ftp://x',
        capacity: { cpu: 'lots' },
        statusIntervalMs: 10,
        surprise: true,
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'invalid fargate config:',
      '  cluster: must be 1-255 letters, digits, hyphens or underscores',
      '  endpoint: Invalid URL',
      '  subnets: needs at least one subnet',
      '  capacity.cpu: capacity.cpu is not a Kubernetes quantity: "lots"',
      '  statusIntervalMs: Too small: expected number to be >=100',
      '  (root): Unrecognized key: "surprise"',
    ]);
  });

  it('requires an execution role with a log group', () => {
    expect(() => parseFargateConfig({ subnets: ['s'], logGroup: '/vk' })).toThrow(
      /executionRoleArn: executionRoleArn is required when logGroup/,
    );
    expect(() => parseFargateConfig({ subnets: ['s'], executionRoleArn: 'exec' })).toThrow(
      /executionRoleArn: must be an IAM role ARN/,
    );
  });
});

describe('loadFargateConfig', () => {
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
    expect(await loadFargateConfig(yamlPath)).toMatchObject({
      cluster: 'vk',
      region: 'eu-west-1',
      subnets: ['subnet-a', 'subnet-b'],
      capacity: { cpu: '20', memory: '40Gi', pods: '50' },
    });
    const jsonPath = join(dir, 'fargate.json');
    await writeFile(jsonPath, JSON.stringify({ subnets: ['subnet-c'], assignPublicIp: true }));
    expect(await loadFargateConfig(jsonPath)).toMatchObject({ subnets: ['subnet-c'], assignPublicIp: true });
  });

  it('names the file in its errors', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'subnets: [unclosed\n');
    await expect(loadFargateConfig(bad)).rejects.toThrow(`fargate config ${bad} is not valid YAML`);
    const empty = join(dir, 'empty.yaml');
    await writeFile(empty, '');
    await expect(loadFargateConfig(empty)).rejects.toThrow(`invalid fargate config ${empty}:\n  subnets:`);
    await expect(loadFargateConfig(join(dir, 'missing.yaml'))).rejects.toThrow(
      /cannot read fargate config .*missing\.yaml/,
    );
  });
});
