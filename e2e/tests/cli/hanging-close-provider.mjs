// A provider for `virtual-kubelet --provider <this file>`: the mock, except that close() never
// returns, as a provider stuck on its backend would. Shows that the grace period and a second
// signal end the process anyway.
import { mockPlugin } from '@vkubelet/provider-kit/mock';

export const plugin = {
  name: 'hanging-close',
  async create(context) {
    const provider = await mockPlugin.create(context);
    provider.close = () => new Promise(() => {});
    return provider;
  },
};
