import type { V1Container } from '@kubernetes/client-node';

import type { ContainerConfig, LinuxContainerResources, Mount } from '../cri/types.js';
import {
  LABEL_CONTAINER_KIND,
  LABEL_CONTAINER_NAME,
  LABEL_NODE,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
} from '../labels.js';
import { parseQuantity, type PodIdentity } from '@vkubelet/provider-kit';

export type ContainerKind = 'init' | 'app';

const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;

/**
 * Linux resources as kubelet computes them: shares from the CPU request (limit when no request),
 * CFS quota from the CPU limit, memory limit in bytes. Zero means "unset" to the runtime.
 */
export function linuxResources(container: V1Container): LinuxContainerResources {
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  const cpuRequest = requests['cpu'] ?? limits['cpu'];
  const cpuLimit = limits['cpu'];
  const memoryLimit = limits['memory'];
  const shares =
    cpuRequest === undefined
      ? MIN_SHARES
      : Math.max(MIN_SHARES, Math.floor(parseQuantity(cpuRequest) * 1024));
  const quota =
    cpuLimit === undefined ? 0 : Math.max(1_000, Math.floor(parseQuantity(cpuLimit) * CPU_PERIOD_US));
  return {
    cpu_period: cpuLimit === undefined ? 0 : CPU_PERIOD_US,
    cpu_quota: quota,
    cpu_shares: shares,
    memory_limit_in_bytes: memoryLimit === undefined ? 0 : Math.floor(parseQuantity(memoryLimit)),
  };
}

export function containerConfig(
  container: V1Container,
  kind: ContainerKind,
  pod: PodIdentity & { nodeName: string },
  attempt: number,
  mounts: Mount[],
  image: string,
): ContainerConfig {
  const envs = (container.env ?? [])
    // Core resolves valueFrom before createPod; an entry still without a value is set empty, as kubelet does.
    .map(env => ({ key: env.name, value: env.value ?? '' }));
  return {
    metadata: { name: container.name, attempt },
    image: { image },
    command: container.command ?? [],
    args: container.args ?? [],
    working_dir: container.workingDir ?? '',
    envs,
    mounts,
    labels: {
      [LABEL_NODE]: pod.nodeName,
      [LABEL_POD_UID]: pod.uid,
      [LABEL_POD_NAME]: pod.name,
      [LABEL_POD_NAMESPACE]: pod.namespace,
      [LABEL_CONTAINER_NAME]: container.name,
      [LABEL_CONTAINER_KIND]: kind,
    },
    annotations: {},
    log_path: `${container.name}/${attempt}.log`,
    stdin: container.stdin === true,
    stdin_once: container.stdinOnce === true,
    tty: container.tty === true,
    linux: {
      resources: linuxResources(container),
      security_context: {
        privileged: container.securityContext?.privileged === true,
        readonly_rootfs: container.securityContext?.readOnlyRootFilesystem === true,
        ...(container.securityContext?.runAsUser !== undefined
          ? { run_as_user: { value: container.securityContext.runAsUser } }
          : {}),
      },
    },
  };
}
