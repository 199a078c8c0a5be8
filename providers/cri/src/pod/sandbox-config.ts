import type { V1Pod } from '@kubernetes/client-node';
import { podIdentity } from '@vkubelet/provider-kit';

import type { PodSandboxConfig, PortMapping } from '../cri/types.js';
import { ANNOTATION_POD, LABEL_NODE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../labels.js';

export interface SandboxContext {
  nodeName: string;
  cgroupParent: string;
  logDirectory: string;
  clusterDomain: string;
  clusterDNS: string[];
}

/** Maps a pod onto the CRI sandbox config (kubelet's generatePodSandboxConfig, reduced). */
export function sandboxConfig(pod: V1Pod, ctx: SandboxContext, attempt = 0): PodSandboxConfig {
  const id = podIdentity(pod);
  const spec = pod.spec!;
  const hostNetwork = spec.hostNetwork === true;
  const portMappings: PortMapping[] = [];
  for (const container of spec.containers) {
    for (const port of container.ports ?? []) {
      portMappings.push({
        protocol: (port.protocol ?? 'TCP') as PortMapping['protocol'],
        container_port: port.containerPort,
        host_port: port.hostPort ?? 0,
        host_ip: port.hostIP ?? '',
      });
    }
  }
  const privileged = [...(spec.initContainers ?? []), ...spec.containers].some(
    container => container.securityContext?.privileged === true,
  );
  return {
    metadata: { name: id.name, namespace: id.namespace, uid: id.uid, attempt },
    // Host-network sandboxes share the host's UTS namespace: a hostname there makes runc >= 1.1 refuse
    // ("unable to set hostname without a private UTS namespace"), so none is sent.
    hostname: hostNetwork ? '' : (spec.hostname ?? id.name).slice(0, 63),
    log_directory: ctx.logDirectory,
    dns_config: dnsConfig(pod, ctx),
    port_mappings: portMappings,
    labels: {
      ...(pod.metadata?.labels ?? {}),
      [LABEL_NODE]: ctx.nodeName,
      [LABEL_POD_UID]: id.uid,
      [LABEL_POD_NAME]: id.name,
      [LABEL_POD_NAMESPACE]: id.namespace,
    },
    annotations: { ...(pod.metadata?.annotations ?? {}), [ANNOTATION_POD]: JSON.stringify(pod) },
    linux: {
      cgroup_parent: ctx.cgroupParent,
      security_context: {
        namespace_options: {
          network: hostNetwork ? 'NODE' : 'POD',
          pid: spec.hostPID ? 'NODE' : spec.shareProcessNamespace ? 'POD' : 'CONTAINER',
          ipc: spec.hostIPC ? 'NODE' : 'POD',
        },
        privileged,
      },
      sysctls: Object.fromEntries((spec.securityContext?.sysctls ?? []).map(s => [s.name, s.value])),
    },
  };
}

/** DNS per dnsPolicy: ClusterFirst uses the configured cluster DNS; None uses dnsConfig; Default the host's. */
function dnsConfig(pod: V1Pod, ctx: SandboxContext): PodSandboxConfig['dns_config'] {
  const spec = pod.spec!;
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  const custom = spec.dnsConfig;
  const clusterFirst =
    (policy === 'ClusterFirst' && !spec.hostNetwork) || policy === 'ClusterFirstWithHostNet';
  if (
    policy === 'Default' ||
    (!clusterFirst && policy !== 'None') ||
    (clusterFirst && ctx.clusterDNS.length === 0)
  ) {
    // The runtime copies the host's resolv.conf when no servers are given.
    return custom
      ? {
          servers: custom.nameservers ?? [],
          searches: custom.searches ?? [],
          options: options(custom.options),
        }
      : undefined;
  }
  const ns = pod.metadata!.namespace!;
  const searches =
    policy === 'None'
      ? []
      : [`${ns}.svc.${ctx.clusterDomain}`, `svc.${ctx.clusterDomain}`, ctx.clusterDomain];
  return {
    servers: [...(policy === 'None' ? [] : ctx.clusterDNS), ...(custom?.nameservers ?? [])],
    searches: [...searches, ...(custom?.searches ?? [])],
    options: policy === 'None' ? options(custom?.options) : ['ndots:5', ...options(custom?.options)],
  };
}

function options(list: { name?: string; value?: string }[] | undefined): string[] {
  return (list ?? []).filter(o => o.name).map(o => (o.value ? `${o.name}:${o.value}` : o.name!));
}
