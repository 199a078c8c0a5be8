import { definePlugin } from '../plugin/define-plugin.js';
import { mockConfigFileSchema, parseMockSettings, type MockSettings } from './options.js';
import { MockProvider } from './provider.js';

/**
 * `virtual-kubelet --provider mock [--provider-config file]`: the file is shaped like upstream's
 * (`{"<node>": {"cpu": "20", "memory": "100Gi", "pods": "20", ...}}`, YAML or JSON). Unlike upstream,
 * a missing node entry means the defaults rather than an error about an empty quantity.
 */
export const mockPlugin = definePlugin({
  name: 'mock',
  configSchema: mockConfigFileSchema,
  async create(context, config) {
    return new MockProvider({
      ...config[context.nodeName],
      nodeName: context.nodeName,
      internalIP: context.internalIP,
      operatingSystem: context.operatingSystem,
      daemonPort: context.daemonPort,
    });
  },
});

/** The settings for `nodeName` in a `--provider-config` file (defaults when it has no entry). */
export async function loadMockConfig(path: string, nodeName: string): Promise<MockSettings> {
  return (await mockPlugin.loadConfig({ configPath: path }))[nodeName] ?? parseMockSettings({});
}
