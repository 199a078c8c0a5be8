import { KubeConfig } from '@kubernetes/client-node';

import { KubeClient } from '../../src/kube/client.js';

/** A KubeConfig read from a kubeconfig file (admin or node identity from testenv). */
export function kubeConfigFrom(path: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}

/** A KubeClient with the identity in a kubeconfig file. */
export function clientFrom(path: string): KubeClient {
  return KubeClient.create({ kubeConfig: kubeConfigFrom(path) });
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  throw new Error(`condition not met in ${timeoutMs} ms`, { cause: lastError });
}
