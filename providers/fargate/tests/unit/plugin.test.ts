import { errorMessage, isInvalidInput, noopLogger } from '@vkubelet/provider-kit';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { plugin } from '../../src/index.js';
import { createFargateProvider } from '../../src/plugin.js';

describe('fargate plugin', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('is named fargate, for `virtual-kubelet --provider fargate`', () => {
    expect(plugin.name).toBe('fargate');
  });

  it('says in one line that subnets are needed when no config file is given', async () => {
    const error = await plugin.create(fakeProviderContext()).catch((err: unknown) => err);
    expect(isInvalidInput(error)).toBe(true);
    expect(errorMessage(error)).toBe('--provider-config (none given): subnets: required');
  });

  it('says where a region can come from when none is found', async () => {
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', '');
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
    vi.stubEnv('AWS_PROFILE', '');
    await expect(
      createFargateProvider({ nodeName: 'n', logger: noopLogger }, { config: { subnets: ['subnet-1'] } }),
    ).rejects.toThrow(
      'no AWS region: set region in the fargate config, or AWS_REGION, or a region in ~/.aws/config',
    );
  });

  it('rejects an invalid config before touching AWS', async () => {
    await expect(
      createFargateProvider(
        { nodeName: 'n', logger: noopLogger },
        { config: { subnets: [], region: 'eu-west-1' } },
      ),
    ).rejects.toThrow('subnets: needs at least one subnet');
  });
});
