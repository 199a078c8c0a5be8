import type { V1Node, V1NodeCondition } from '@kubernetes/client-node';

import type { MockSettings } from './options.js';

export interface NodeIdentity {
  nodeName: string;
  internalIP: string;
  operatingSystem: string;
  daemonPort?: number;
}

/** The resources the node advertises: capacity and allocatable are the same for the mock. */
export function nodeResources(settings: MockSettings): Record<string, string> {
  return { cpu: settings.cpu, memory: settings.memory, pods: settings.pods, ...settings.others };
}

/** Fills in what upstream's mock sets, with Ready=True since the mock backend is always up. */
export function configureMockNode(
  node: V1Node,
  settings: MockSettings,
  identity: NodeIdentity,
  healthy: boolean,
): void {
  const now = new Date();
  const resources = nodeResources(settings);
  node.metadata = node.metadata ?? {};
  node.metadata.labels = {
    ...node.metadata.labels,
    'kubernetes.io/os': identity.operatingSystem,
    'kubernetes.io/arch': settings.architecture,
    'node.kubernetes.io/exclude-from-external-load-balancers': 'true',
  };
  node.spec = { ...node.spec, ...(settings.providerID ? { providerID: settings.providerID } : {}) };
  const status = (node.status = node.status ?? {});
  status.capacity = { ...resources };
  status.allocatable = { ...resources };
  status.addresses = [
    { type: 'InternalIP', address: identity.internalIP },
    { type: 'Hostname', address: identity.nodeName },
  ];
  status.nodeInfo = {
    machineID: '',
    systemUUID: '',
    bootID: '',
    kernelVersion: '',
    osImage: 'mock',
    containerRuntimeVersion: 'mock://1',
    kubeProxyVersion: '',
    ...status.nodeInfo,
    kubeletVersion: status.nodeInfo?.kubeletVersion ?? '',
    operatingSystem: identity.operatingSystem,
    architecture: settings.architecture,
  };
  if (identity.daemonPort !== undefined) {
    status.daemonEndpoints = { kubeletEndpoint: { Port: identity.daemonPort } };
  }
  status.conditions = nodeConditions(healthy, now);
}

export function nodeConditions(healthy: boolean, now: Date): V1NodeCondition[] {
  const condition = (type: string, status: string, reason: string, message: string): V1NodeCondition => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return [
    healthy
      ? condition('Ready', 'True', 'KubeletReady', 'mock backend is ready')
      : condition('Ready', 'False', 'MockBackendUnhealthy', 'mock backend was set unhealthy'),
    condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'mock has sufficient memory'),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'mock has no disk pressure'),
    condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'mock has sufficient PID'),
    condition('NetworkUnavailable', 'False', 'RouteCreated', 'mock network is available'),
  ];
}
