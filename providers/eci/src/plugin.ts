import { definePlugin, InvalidInputError, type ProviderContext } from '@vkubelet/provider-kit';

import { EciClient } from './client/eci-client.js';
import { eciConfigSchema, eciEndpoint, type EciConfig, type EciConfigInput } from './config.js';
import { EciProvider } from './provider.js';

export interface CreateEciProviderOptions {
  /** The config itself instead of `context.configPath` (embedders, tests). */
  config?: EciConfig | EciConfigInput;
  /** The pause before retry `attempt` of a throttled request (tests shorten it). */
  backoffMs?: (attempt: number) => number;
}

type Context = Pick<ProviderContext, 'nodeName' | 'internalIP' | 'resources' | 'events' | 'logger'>;

/** An ECI provider for the node in `context` with a validated config. */
function startProvider(
  context: Context,
  config: EciConfig,
  backoffMs?: (attempt: number) => number,
): Promise<EciProvider> {
  // A node name goes into a tag of every group: ECI's limits for tag values apply.
  if (context.nodeName.length > 128) {
    throw new InvalidInputError(
      `--nodename: ECI tags hold at most 128 characters (${context.nodeName.length} given)`,
    );
  }
  const client = new EciClient({
    endpoint: eciEndpoint(config),
    regionId: config.region,
    credentials: {
      accessKeyId: config.accessKeyId,
      accessKeySecret: config.accessKeySecret,
      securityToken: config.securityToken,
    },
    timeoutMs: config.requestTimeoutMs,
    maxAttempts: config.maxAttempts,
    logger: context.logger,
    ...(backoffMs ? { backoffMs } : {}),
  });
  return EciProvider.create({ config, client, context });
}

/** What `virtual-kubelet --provider eci` loads. */
export const plugin = definePlugin({
  name: 'eci',
  configSchema: eciConfigSchema,
  create: (context, config) => startProvider(context, config),
});

/**
 * An ECI provider for the node in `context`, configured from `--provider-config` and the ECI_*
 * variables unless given a config (validated the same way).
 */
export async function createEciProvider(
  context: Context & Pick<ProviderContext, 'configPath'>,
  options: CreateEciProviderOptions = {},
): Promise<EciProvider> {
  const config = options.config
    ? plugin.parseConfig(options.config)
    : await plugin.loadConfig({ configPath: context.configPath });
  return startProvider(context, config, options.backoffMs);
}
