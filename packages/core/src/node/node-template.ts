import type { V1Node, V1NodeCondition, V1Taint } from '@kubernetes/client-node';

/** The taint effects Kubernetes accepts. */
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

export interface NodeTemplateOptions {
  nodeName: string;
  operatingSystem: string;
  internalIP: string;
  daemonPort: number;
  kubeletVersion: string;
  /** Taint keeping ordinary pods off the virtual node; `undefined` for none (`--disable-taint`). */
  taint?: V1Taint;
  /** Labels added to the defaults (`--node-labels`). */
  labels?: Record<string, string>;
}

const goArch: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  s390x: 's390x',
  ppc64: 'ppc64le',
};

/**
 * The Node as vkubelet registers it before the provider's `configureNode` adds capacity and more.
 * Mirrors upstream's defaults (labels `type=virtual-kubelet`, `kubernetes.io/role=agent`, hostname/os/arch,
 * InternalIP, daemon endpoint, conditions) so selectors and tolerations written for upstream keep working.
 */
export function buildNodeTemplate(options: NodeTemplateOptions): V1Node {
  const now = new Date();
  const condition = (type: string, status: string, reason: string, message: string): V1NodeCondition => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: options.nodeName,
      labels: {
        type: 'virtual-kubelet',
        'kubernetes.io/role': 'agent',
        'kubernetes.io/hostname': options.nodeName,
        'kubernetes.io/os': options.operatingSystem,
        'kubernetes.io/arch': goArch[process.arch] ?? process.arch,
        'node.kubernetes.io/exclude-from-external-load-balancers': 'true',
        ...options.labels,
      },
    },
    spec: { taints: options.taint ? [options.taint] : [] },
    status: {
      phase: 'Pending',
      addresses: [
        { type: 'InternalIP', address: options.internalIP },
        { type: 'Hostname', address: options.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: options.daemonPort } },
      nodeInfo: {
        architecture: goArch[process.arch] ?? process.arch,
        operatingSystem: options.operatingSystem,
        kubeletVersion: options.kubeletVersion,
        kubeProxyVersion: '',
        bootID: '',
        containerRuntimeVersion: 'vkubelet://',
        kernelVersion: '',
        machineID: '',
        osImage: '',
        systemUUID: '',
      },
      capacity: {},
      allocatable: {},
      conditions: [
        condition('Ready', 'False', 'KubeletPending', 'kubelet is pending'),
        condition(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition(
          'NetworkUnavailable',
          'False',
          'RouteCreated',
          'virtual node network is managed by the provider',
        ),
      ],
    },
  };
}
