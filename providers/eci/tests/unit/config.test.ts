import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { errorMessage, isInvalidInput } from '@vkubelet/provider-kit';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { eciEndpoint } from '../../src/config.js';
import { plugin } from '../../src/index.js';

const required = {
  region: 'cn-hangzhou',
  accessKeyId: 'LTAIexample',
  accessKeySecret: 'secret',
  securityGroupId: 'sg-1',
  vSwitchIds: ['vsw-1'],
};

/** The one-line message of the InvalidInputError `work` fails with. */
async function invalid(work: () => unknown): Promise<string> {
  try {
    await work();
  } catch (error) {
    expect(isInvalidInput(error), String(error)).toBe(true);
    return errorMessage(error);
  }
  throw new Error('expected an InvalidInputError');
}

describe('eci config', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('is the plugin of `virtual-kubelet --provider eci`', () => {
    expect(plugin.name).toBe('eci');
  });

  it('fills the defaults around the required fields', () => {
    expect(plugin.parseConfig(required)).toEqual({
      ...required,
      clusterName: 'default',
      capacity: { cpu: '1000', memory: '4Ti', pods: '1000' },
      statusIntervalMs: 5000,
      refreshBySummary: true,
      requestTimeoutMs: 10000,
      maxAttempts: 4,
      logPollIntervalMs: 1000,
      exec: { transport: 'auto', exitCodeSentinel: true },
    });
    expect(eciEndpoint(plugin.parseConfig(required))).toBe('https://eci.cn-hangzhou.aliyuncs.com');
  });

  it('says in one line what is missing', async () => {
    for (const name of [
      'ECI_REGION',
      'ECI_ACCESS_KEY',
      'ECI_SECRET_KEY',
      'ECI_SECURITY_GROUP',
      'ECI_VSWITCH',
    ])
      vi.stubEnv(name, '');
    expect(await invalid(() => plugin.create(fakeProviderContext()))).toBe(
      '--provider-config (none given): region: required (or set ECI_REGION); ' +
        'accessKeyId: required (or set ECI_ACCESS_KEY); accessKeySecret: required (or set ECI_SECRET_KEY); ' +
        'securityGroupId: required (or set ECI_SECURITY_GROUP); vSwitchIds: required (or set ECI_VSWITCH)',
    );
  });

  it('reads every field the file leaves out from the ECI_* variables', async () => {
    vi.stubEnv('ECI_REGION', 'cn-shanghai');
    vi.stubEnv('ECI_ACCESS_KEY', 'LTAIenv');
    vi.stubEnv('ECI_SECRET_KEY', 'from-env');
    vi.stubEnv('ECI_SECURITY_TOKEN', 'CAIStoken');
    vi.stubEnv('ECI_SECURITY_GROUP', 'sg-env');
    vi.stubEnv('ECI_VSWITCH', 'vsw-a, vsw-b');
    vi.stubEnv('ECI_CLUSTER_NAME', 'prod');
    vi.stubEnv('ECI_QUOTA_POD', '200');
    expect(await plugin.loadConfig()).toMatchObject({
      region: 'cn-shanghai',
      accessKeyId: 'LTAIenv',
      accessKeySecret: 'from-env',
      securityToken: 'CAIStoken',
      securityGroupId: 'sg-env',
      vSwitchIds: ['vsw-a', 'vsw-b'],
      clusterName: 'prod',
      capacity: { pods: '200' },
    });
  });

  it('lists every problem with its field path on one line, naming the variable a value came from', async () => {
    vi.stubEnv('ECI_REGION', 'Hangzhou');
    const message = await invalid(() =>
      plugin.loadConfig({
        env: {
          ...process.env,
          ECI_ACCESS_KEY: 'k',
          ECI_SECRET_KEY: 's',
          ECI_SECURITY_GROUP: 'sg',
          ECI_VSWITCH: 'v',
        },
      }),
    );
    expect(message).toBe('ECI_REGION: region: must be an Alibaba Cloud region ID such as cn-hangzhou');
    expect(
      await invalid(() =>
        plugin.parseConfig({
          ...required,
          clusterName: 'acs:reserved',
          vSwitchIds: Array.from({ length: 11 }, (_, i) => `vsw-${i}`),
          exec: { transport: 'telnet' },
          surprise: 1,
        }),
      ),
    ).toBe(
      'eci provider config: vSwitchIds: ECI takes at most 10 vSwitches; ' +
        'clusterName: must not start with acs: nor hold http(s)://, as ECI tag values; ' +
        'exec.transport: expected one of "auto"|"websocket"|"sync"; surprise: unknown field',
    );
  });

  it('documents every field in the README, generated from the schema', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(plugin.configReference());
  });
});

describe('eci config file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eci-config-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads YAML, the secret from the environment', async () => {
    const path = join(dir, 'eci.yaml');
    await writeFile(
      path,
      'region: cn-beijing\naccessKeyId: LTAIfile\nsecurityGroupId: sg-f\nvSwitchIds: [vsw-f]\ncapacity:\n  cpu: 64\n',
    );
    const config = await plugin.loadConfig({ configPath: path, env: { ECI_SECRET_KEY: 'env-secret' } });
    expect(config).toMatchObject({
      region: 'cn-beijing',
      accessKeySecret: 'env-secret',
      capacity: { cpu: '64' },
    });
    expect(await invalid(() => plugin.loadConfig({ configPath: path, env: {} }))).toBe(
      `--provider-config ${path}: accessKeySecret: required (or set ECI_SECRET_KEY)`,
    );
  });
});
