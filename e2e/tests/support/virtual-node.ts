import { loadKubeconfig, VirtualKubelet, type ProviderSource } from '@vkubelet/core';
import type { ProviderPlugin } from '@vkubelet/provider-kit';
import type { ControlPlane } from '@vkubelet/testenv';

export interface VirtualNodeOptions {
  nodeName: string;
  /** A provider (instance or factory), or a provider package's plugin with its config file. */
  provider: ProviderSource | { plugin: ProviderPlugin; configPath?: string };
  providerName?: string;
  /** Address the node publishes and listens on (default 127.0.0.1). */
  address?: string;
}

export interface VirtualNode {
  agent: VirtualKubelet;
  stop(): Promise<void>;
}

/**
 * Runs a VirtualKubelet for `nodeName` with the node's own identity on `cp`, its kubelet API on a free
 * port authenticating the API server by the cluster CA, and waits until the node is Ready.
 */
export async function startVirtualNode(cp: ControlPlane, options: VirtualNodeOptions): Promise<VirtualNode> {
  const kubeConfig = loadKubeconfig(await cp.nodeKubeconfig(options.nodeName));
  const address = options.address ?? '127.0.0.1';
  const source = options.provider;
  const viaPlugin = typeof source === 'object' && 'plugin' in source ? source : undefined;
  const agent = await VirtualKubelet.create({
    nodeName: options.nodeName,
    kubeConfig,
    provider: viaPlugin ? context => viaPlugin.plugin.create(context) : (source as ProviderSource),
    providerName: options.providerName ?? viaPlugin?.plugin.name ?? 'mock',
    providerConfigPath: viaPlugin?.configPath,
    nodeIP: address,
    kubeletApi: { host: address, port: 0, tls: { selfSigned: true }, auth: { clientCaFile: cp.ca.certPath } },
    nodeStatusIntervalMs: 2_000,
  });
  const done = agent.run();
  await agent.whenReady();
  return {
    agent,
    async stop() {
      await agent.shutdown();
      await done;
    },
  };
}
