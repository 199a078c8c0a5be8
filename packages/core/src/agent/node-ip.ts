import { networkInterfaces } from 'node:os';

/**
 * The address the node publishes as InternalIP, where the API server reaches the kubelet API: the
 * configured one, else the first non-internal IPv4 of this host, else loopback.
 */
export function defaultNodeIP(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}
