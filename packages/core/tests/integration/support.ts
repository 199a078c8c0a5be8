import { KubeClient } from '../../src/kube/client.js';
import { loadKubeconfig, type ClusterAccess } from '../../src/kube/kubeconfig/index.js';

/** The access in a kubeconfig file (admin or node identity from testenv). */
export function kubeConfigFrom(path: string): ClusterAccess {
  return loadKubeconfig(path);
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

/** The kubelet API as integration tests run it: loopback, a free port, self-signed, client certs of `clientCaFile`. */
export function loopbackKubeletApi(clientCaFile: string) {
  return {
    host: '127.0.0.1',
    port: 0,
    tls: { selfSigned: true as const },
    auth: { clientCaFile },
  };
}
