import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { TokenCredential } from '@azure/identity';
import { definePlugin, type ProviderContext } from '@vkubelet/provider-kit';

import { createCredential, loadTls } from './azure/credential.js';
import { aciConfigSchema, type AciConfig, type AciConfigInput } from './config.js';
import { AciProvider } from './provider.js';

/** The package's version, in the User-Agent of every ARM request. */
const USER_AGENT = 'vkubelet-provider-aci';

export interface CreateAciProviderOptions {
  /** The config itself instead of `context.configPath` (embedders, tests). */
  config?: AciConfig | AciConfigInput;
  /** A credential instead of the one the config describes (tests, embedders with their own). */
  credential?: TokenCredential;
}

type AciContext = Pick<
  ProviderContext,
  'nodeName' | 'internalIP' | 'clusterDomain' | 'resources' | 'tokens' | 'events' | 'logger'
>;

/**
 * The ARM client: the config's endpoint (`endpoint`, which `@azure/arm-containerinstance` 9.1.0
 * builds its URLs from), the SDK's retry policy for throttling (ARM's Retry-After) and 5xx with the
 * configured retries, and the config's CA.
 */
export function createAciClient(config: AciConfig, credential: TokenCredential, ca: string | undefined) {
  return new ContainerInstanceManagementClient(credential, config.subscriptionId, {
    endpoint: config.armEndpoint,
    retryOptions: { maxRetries: config.maxRetries },
    userAgentOptions: { userAgentPrefix: USER_AGENT },
    ...(ca ? { tlsOptions: { ca } } : {}),
  });
}

async function startProvider(
  context: AciContext,
  config: AciConfig,
  credential?: TokenCredential,
): Promise<AciProvider> {
  const tls = await loadTls(config);
  const client = createAciClient(config, credential ?? createCredential(config, tls), tls.ca);
  return AciProvider.create({ config, client, context, ca: tls.ca });
}

/** What `virtual-kubelet --provider aci` loads. */
export const plugin = definePlugin({
  name: 'aci',
  configSchema: aciConfigSchema,
  create: (context, config) => startProvider(context, config),
});

/**
 * An ACI provider for the node in `context`, configured from `--provider-config` (and the
 * environment) unless given a config, validated the same way.
 */
export async function createAciProvider(
  context: AciContext & Pick<ProviderContext, 'configPath'>,
  options: CreateAciProviderOptions = {},
): Promise<AciProvider> {
  const config = options.config
    ? plugin.parseConfig(options.config)
    : await plugin.loadConfig({ configPath: context.configPath });
  return startProvider(context, config, options.credential);
}
