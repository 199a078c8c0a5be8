import { readFile } from 'node:fs/promises';

import { errorMessage, definePlugin, InvalidInputError, type ProviderContext } from '@vkubelet/provider-kit';

import { nomadConfigSchema, type NomadConfig, type NomadConfigInput } from './config.js';
import { NomadApi } from './nomad/api.js';
import { NomadClient, type NomadConnection } from './nomad/client.js';
import { NomadProvider } from './provider.js';

/** Reads a PEM file the config names; a missing or unreadable one is a config error (exit 2). */
async function pem(path: string | undefined, field: string, variable: string): Promise<string | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      `${field} (${variable}): cannot read ${path}: ${errorMessage(error).split('\n')[0]}`,
      { cause: error },
    );
  }
}

/** The connection a config describes, with the certificate files read. */
export async function nomadConnection(config: NomadConfig): Promise<NomadConnection> {
  const [ca, cert, key] = await Promise.all([
    pem(config.caCert, 'caCert', 'NOMAD_CACERT'),
    pem(config.clientCert, 'clientCert', 'NOMAD_CLIENT_CERT'),
    pem(config.clientKey, 'clientKey', 'NOMAD_CLIENT_KEY'),
  ]);
  return {
    address: config.address,
    token: config.token,
    namespace: config.namespace,
    region: config.region,
    tls: { ca, cert, key, serverName: config.tlsServerName, skipVerify: config.tlsSkipVerify },
  };
}

export interface CreateNomadProviderOptions {
  /** The config itself instead of `context.configPath` (embedders, tests); validated the same way. */
  config?: NomadConfig | NomadConfigInput;
}

type Context = Pick<ProviderContext, 'nodeName' | 'internalIP' | 'resources' | 'logger'> &
  Partial<Pick<ProviderContext, 'configPath'>>;

async function startProvider(context: Context, config: NomadConfig): Promise<NomadProvider> {
  const api = new NomadApi(new NomadClient(await nomadConnection(config)));
  return NomadProvider.create({
    config,
    api,
    nodeName: context.nodeName,
    internalIP: context.internalIP,
    resources: context.resources,
    logger: context.logger,
  });
}

/** What `virtual-kubelet --provider nomad` loads. */
export const plugin = definePlugin({
  name: 'nomad',
  configSchema: nomadConfigSchema,
  create: (context, config) => startProvider(context, config),
});

/**
 * A Nomad provider for the node in `context`, configured from `--provider-config` and the NOMAD_*
 * variables unless given a config.
 */
export async function createNomadProvider(
  context: Context,
  options: CreateNomadProviderOptions = {},
): Promise<NomadProvider> {
  const config = options.config
    ? plugin.parseConfig(options.config)
    : await plugin.loadConfig({ configPath: context.configPath });
  return startProvider(context, config);
}
