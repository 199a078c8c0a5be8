import type { Container, ContainerGroup, Port } from '@azure/arm-containerinstance';
import type { V1Pod } from '@kubernetes/client-node';

import { refuse } from './refuse.js';

/** Pod annotation giving a public group a DNS name, `<label>.<region>.azurecontainer.io` (upstream's name). */
export const DNS_NAME_LABEL_ANNOTATION = 'virtualkubelet.io/dnsnamelabel';

export interface NetworkSettings {
  operatingSystem: 'Linux' | 'Windows';
  subnetId?: string | undefined;
  kubeDnsIP?: string | undefined;
  clusterDomain: string;
}

/** Every port of the app containers, once. */
function groupPorts(containers: readonly Container[]): Port[] {
  const seen = new Map<string, Port>();
  for (const container of containers) {
    for (const port of container.ports ?? []) {
      const protocol = port.protocol ?? 'TCP';
      seen.set(`${protocol}/${port.port}`, { port: port.port, protocol });
    }
  }
  return [...seen.values()];
}

function dnsConfig(pod: V1Pod, settings: NetworkSettings): ContainerGroup['dnsConfig'] {
  const spec = pod.spec;
  const policy = spec?.dnsPolicy ?? 'ClusterFirst';
  const servers: string[] = [];
  const searches: string[] = [];
  if ((policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') && settings.kubeDnsIP) {
    const domain = settings.clusterDomain;
    servers.push(settings.kubeDnsIP);
    searches.push(`${pod.metadata?.namespace ?? 'default'}.svc.${domain}`, `svc.${domain}`, domain);
  }
  servers.push(...(spec?.dnsConfig?.nameservers ?? []));
  searches.push(...(spec?.dnsConfig?.searches ?? []));
  if (policy === 'None' && servers.length === 0)
    refuse('spec.dnsConfig.nameservers', 'dnsPolicy None needs nameservers');
  if (servers.length === 0) return undefined;
  if (settings.operatingSystem === 'Windows')
    refuse('spec.dnsConfig', 'Windows container groups take no DNS settings');
  const options = (spec?.dnsConfig?.options ?? []).map(option =>
    option.value ? `${option.name}:${option.value}` : (option.name ?? ''),
  );
  return {
    nameServers: [...new Set(servers)].slice(0, 3),
    ...(searches.length > 0 ? { searchDomains: [...new Set(searches)].slice(0, 6).join(' ') } : {}),
    ...(options.length > 0 ? { options: options.join(' ') } : {}),
  };
}

/**
 * The group's address: in a subnet every group gets a private IP (its ports open there); without one
 * a group whose containers expose ports gets a public IP with them, and a DNS name from the
 * annotation; a group without ports has no address (ACI gives none). DNS settings point ClusterFirst
 * pods at the cluster DNS when it is configured (reachable from a subnet only).
 */
export function groupNetwork(
  pod: V1Pod,
  containers: readonly Container[],
  settings: NetworkSettings,
): Pick<ContainerGroup, 'ipAddress' | 'subnetIds' | 'dnsConfig'> {
  const ports = groupPorts(containers);
  const label = pod.metadata?.annotations?.[DNS_NAME_LABEL_ANNOTATION];
  const labelField = `metadata.annotations[${DNS_NAME_LABEL_ANNOTATION}]`;
  const dns = dnsConfig(pod, settings);
  if (settings.subnetId) {
    if (label) refuse(labelField, 'groups in a virtual network have private addresses, without DNS names');
    return {
      ipAddress: { type: 'Private', ports },
      subnetIds: [{ id: settings.subnetId }],
      ...(dns ? { dnsConfig: dns } : {}),
    };
  }
  if (label && ports.length === 0) refuse(labelField, 'a public DNS name needs a container port to open');
  if (ports.length === 0) return dns ? { dnsConfig: dns } : {};
  return {
    ipAddress: { type: 'Public', ports, ...(label ? { dnsNameLabel: label } : {}) },
    ...(dns ? { dnsConfig: dns } : {}),
  };
}
