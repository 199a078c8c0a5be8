// The address a stack's node publishes and its kubelet API listens on. The API server refuses to proxy
// `nodes/<node>/proxy/...` (kubectl get --raw, upstream's e2e suite) to loopback and link-local
// addresses, so the node uses the host's own address: the one of the interface the default route
// leaves by. Needs no root and no extra network; the kubelet API on it authenticates every request.
import { readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Interfaces that come and go with test runs (CNI bridges, e2e veth pairs): never the node's address. */
const TRANSIENT_INTERFACE = /^(vkbr|vke|vki|veth|cni|docker|br-|virbr)/;

/** The interface of the IPv4 default route, from /proc/net/route (Linux); undefined elsewhere. */
export function defaultRouteInterface(routeTable?: string): string | undefined {
  let table = routeTable;
  if (table === undefined) {
    try {
      table = readFileSync('/proc/net/route', 'utf8');
    } catch {
      return undefined;
    }
  }
  for (const line of table.split('\n').slice(1)) {
    const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
    if (iface && destination === '00000000' && mask === '00000000') return iface;
  }
  return undefined;
}

function usable(info: NetworkInterfaceInfo): boolean {
  return info.family === 'IPv4' && !info.internal && !info.address.startsWith('169.254.');
}

/**
 * A non-loopback IPv4 address of this host the API server will proxy to: the default route's
 * interface first, else the first stable interface's. Undefined when the host has none.
 */
export function hostAddress(
  interfaces: Interfaces = networkInterfaces(),
  defaultInterface = defaultRouteInterface(),
): string | undefined {
  const preferred = defaultInterface ? interfaces[defaultInterface]?.find(usable) : undefined;
  if (preferred) return preferred.address;
  for (const [name, infos] of Object.entries(interfaces)) {
    if (TRANSIENT_INTERFACE.test(name)) continue;
    const info = infos?.find(usable);
    if (info) return info.address;
  }
  return undefined;
}

/** Why `address` cannot be the node's address (the API server would not proxy to it), or undefined. */
export function unproxyableReason(address: string): string | undefined {
  if (/^127\./.test(address) || address === '::1') return 'a loopback address';
  if (/^169\.254\./.test(address) || /^fe80:/i.test(address)) return 'a link-local address';
  if (address === '0.0.0.0' || address === '::') return 'not a single address';
  return undefined;
}
