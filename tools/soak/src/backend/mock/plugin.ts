/**
 * The provider an agent under soak loads (`--provider=<this file> --provider-config=<json>`): the
 * mock, with its pods in the soak's MockBackendServer. The config file holds
 * `{"url": "http://127.0.0.1:<port>", "agent": "<name>", "crashOnDemand": true}`.
 */
import { readFile } from 'node:fs/promises';

import { InvalidInputError, type ProviderPlugin } from '@vkubelet/provider-kit';

import { RemoteMockProvider } from './client.js';

interface RemoteMockConfig {
  url: string;
  agent: string;
  crashOnDemand?: boolean;
}

export const plugin: ProviderPlugin = {
  name: 'soak-mock',
  async create(context) {
    if (!context.configPath) throw new InvalidInputError('soak-mock needs --provider-config');
    const config = JSON.parse(await readFile(context.configPath, 'utf8')) as Partial<RemoteMockConfig>;
    if (typeof config.url !== 'string' || typeof config.agent !== 'string') {
      throw new InvalidInputError(`${context.configPath}: "url" and "agent" are required`);
    }
    return new RemoteMockProvider({
      url: config.url,
      agent: config.agent,
      crashOnDemand: config.crashOnDemand === true,
      logger: context.logger,
    });
  },
};
