import type { ProviderPlugin } from '@vkubelet/provider-kit';

import { loadCriConfig } from './config.js';
import { CriProvider } from './provider.js';

/** `virtual-kubelet --provider cri [--provider-config cri.json]`. */
export const plugin: ProviderPlugin = {
  name: 'cri',
  async create(context) {
    const config = await loadCriConfig(context.configPath);
    return CriProvider.create(context, config);
  },
};
