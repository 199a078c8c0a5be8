import { definePlugin } from '@vkubelet/provider-kit';

import { criConfigSchema } from './config.js';
import { CriProvider } from './provider.js';

/** `virtual-kubelet --provider cri [--provider-config cri.yaml]`. */
export const plugin = definePlugin({
  name: 'cri',
  configSchema: criConfigSchema,
  create: (context, config) => CriProvider.create(context, config),
});
