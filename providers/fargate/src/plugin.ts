import {
  InvalidInputError,
  type Provider,
  type ProviderContext,
  type ProviderPlugin,
} from '@vkubelet/provider-kit';

import { createAwsClients, type AwsClientOverrides } from './aws.js';
import {
  loadFargateConfig,
  parseFargateConfig,
  type FargateConfig,
  type FargateConfigInput,
} from './config.js';
import { FargateProvider } from './provider.js';

export interface CreateFargateProviderOptions {
  /** The config itself instead of `context.configPath` (embedders, tests). */
  config?: FargateConfig | FargateConfigInput;
  /** AWS client settings on top of the config's (credentials, request handler). */
  clientOverrides?: AwsClientOverrides;
}

/** A Fargate provider for the node in `context`, configured from `--provider-config` unless given a config. */
export async function createFargateProvider(
  context: Pick<ProviderContext, 'nodeName' | 'configPath' | 'logger'>,
  options: CreateFargateProviderOptions = {},
): Promise<FargateProvider> {
  let config: FargateConfig;
  if (options.config) config = parseFargateConfig(options.config);
  else if (context.configPath) config = await loadFargateConfig(context.configPath);
  else
    throw new InvalidInputError(
      'the fargate provider needs a config file (--provider-config): at least subnets must be set',
    );

  const clients = createAwsClients(config, options.clientOverrides);
  let region: string;
  try {
    region = await clients.ecs.config.region();
  } catch (err) {
    throw new InvalidInputError(
      'no AWS region: set region in the fargate config, or AWS_REGION, or a region in ~/.aws/config',
      {
        cause: err,
      },
    );
  }
  try {
    return await FargateProvider.start({
      config,
      clients,
      nodeName: context.nodeName,
      region,
      logger: context.logger,
    });
  } catch (err) {
    clients.ecs.destroy();
    clients.logs.destroy();
    throw err;
  }
}

/** What `virtual-kubelet --provider fargate` loads. */
export const plugin: ProviderPlugin = {
  name: 'fargate',
  create: (context: ProviderContext): Promise<Provider> => createFargateProvider(context),
};
