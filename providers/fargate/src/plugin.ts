import { definePlugin, InvalidInputError, type ProviderContext } from '@vkubelet/provider-kit';

import { createAwsClients, type AwsClientOverrides } from './aws.js';
import { fargateConfigSchema, type FargateConfig, type FargateConfigInput } from './config.js';
import { FargateProvider } from './provider.js';

export interface CreateFargateProviderOptions {
  /** The config itself instead of `context.configPath` (embedders, tests). */
  config?: FargateConfig | FargateConfigInput;
  /** AWS client settings on top of the config's (credentials, request handler). */
  clientOverrides?: AwsClientOverrides;
}

/** A Fargate provider for the node in `context` with a validated config. */
async function startProvider(
  context: Pick<ProviderContext, 'nodeName' | 'logger'>,
  config: FargateConfig,
  clientOverrides?: AwsClientOverrides,
): Promise<FargateProvider> {
  const clients = createAwsClients(config, clientOverrides);
  let region: string;
  try {
    region = await clients.ecs.config.region();
  } catch (err) {
    clients.ecs.destroy();
    clients.logs.destroy();
    throw new InvalidInputError(
      'no AWS region: set region in the fargate config, or AWS_REGION, or a region in ~/.aws/config',
      {
        cause: err,
      },
    );
  }
  return FargateProvider.create({
    config,
    clients,
    nodeName: context.nodeName,
    region,
    logger: context.logger,
  });
}

/** What `virtual-kubelet --provider fargate` loads. */
export const plugin = definePlugin({
  name: 'fargate',
  configSchema: fargateConfigSchema,
  create: (context, config) => startProvider(context, config),
});

/**
 * A Fargate provider for the node in `context`, configured from `--provider-config` unless given a
 * config (validated the same way).
 */
export async function createFargateProvider(
  context: Pick<ProviderContext, 'nodeName' | 'configPath' | 'logger'>,
  options: CreateFargateProviderOptions = {},
): Promise<FargateProvider> {
  const config = options.config
    ? plugin.parseConfig(options.config)
    : await plugin.loadConfig({ configPath: context.configPath });
  return startProvider(context, config, options.clientOverrides);
}
