import { readFile } from 'node:fs/promises';
import { z } from 'zod';

import { InvalidInputError } from '../errdefs/index.js';
import type { ProviderContext, ProviderPlugin } from '../provider.js';
import { mockConfigFileSchema, parseMockSettings, type MockSettings } from './options.js';
import { MockProvider } from './provider.js';

/**
 * Reads the settings for `nodeName` from a `--provider-config` file shaped like upstream's
 * (`{"<node>": {"cpu": "20", "memory": "100Gi", "pods": "20", ...}}`). Unlike upstream, a missing
 * node entry means the defaults rather than an error about an empty quantity.
 */
export async function loadMockConfig(path: string, nodeName: string): Promise<MockSettings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidInputError(`mock provider config ${path}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`mock provider config ${path} is not JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const parsed = mockConfigFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidInputError(`invalid mock provider config ${path}:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data[nodeName] ?? parseMockSettings({});
}

/** `virtual-kubelet --provider mock [--provider-config file.json]`. */
export const mockPlugin: ProviderPlugin = {
  name: 'mock',
  async create(context: ProviderContext) {
    const settings = context.configPath ? await loadMockConfig(context.configPath, context.nodeName) : {};
    return new MockProvider({
      ...settings,
      nodeName: context.nodeName,
      internalIP: context.internalIP,
      operatingSystem: context.operatingSystem,
      daemonPort: context.daemonPort,
    });
  },
};
