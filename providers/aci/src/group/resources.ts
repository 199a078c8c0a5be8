import type { ResourceRequirements, ResourceRequests } from '@azure/arm-containerinstance';
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import { InvalidInputError, parseQuantity } from '@vkubelet/provider-kit';

import { refuse } from './refuse.js';

export const GPU_RESOURCE = 'nvidia.com/gpu';
/** Pod annotation naming the GPU SKU (upstream's name). */
export const GPU_SKU_ANNOTATION = 'virtual-kubelet.io/gpu-type';
export const GPU_SKUS = ['K80', 'P100', 'V100'] as const;

/** Resources ACI sizes a container by; ephemeral storage is accepted and not sent (ACI has no setting). */
const KNOWN = new Set(['cpu', 'memory', 'ephemeral-storage', GPU_RESOURCE]);

export interface SizeDefaults {
  /** Cores of a container that asks for none. */
  cpu: number;
  /** Bytes of a container that asks for none. */
  memory: number;
  gpuSku: string;
}

/** Cores as ACI takes them: hundredths of a core, rounded up, at least 0.01. */
export function aciCpu(cores: number): number {
  return Math.max(1, Math.ceil(cores * 100 - 1e-9)) / 100;
}

/** Bytes as ACI's `memoryInGB`: tenths of a (decimal) GB, rounded up, at least 0.1. */
export function aciMemoryInGB(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1e8 - 1e-9)) / 10;
}

function quantity(
  resources: V1ResourceRequirements | undefined,
  source: 'limits' | 'requests',
  name: string,
  path: string,
): number | undefined {
  const value = resources?.[source]?.[name];
  if (value === undefined) return undefined;
  try {
    return parseQuantity(value);
  } catch {
    throw new InvalidInputError(`${path}.resources.${source}.${name}: invalid quantity "${value}"`);
  }
}

function gpuCount(resources: V1ResourceRequirements | undefined, path: string): number | undefined {
  const limit = quantity(resources, 'limits', GPU_RESOURCE, path);
  const request = quantity(resources, 'requests', GPU_RESOURCE, path);
  const count = limit ?? request;
  if (count === undefined || count === 0) return undefined;
  if (!Number.isInteger(count) || count < 0)
    throw new InvalidInputError(`${path}.resources.limits.${GPU_RESOURCE}: must be a whole number of GPUs`);
  return count;
}

/**
 * A container's ACI resources: requests default to the limits (as in Kubernetes), then to the
 * provider's defaults (ACI needs a request); limits are sent when the pod sets them. CPU and memory
 * are rounded up to ACI's steps, so a container never gets less than it asked for. GPUs come from
 * `nvidia.com/gpu` with the pod's SKU annotation or the default SKU.
 */
export function containerResources(
  resources: V1ResourceRequirements | undefined,
  path: string,
  defaults: SizeDefaults,
  gpuSku: string | undefined,
): ResourceRequirements {
  for (const source of ['limits', 'requests'] as const) {
    for (const name of Object.keys(resources?.[source] ?? {})) {
      if (!KNOWN.has(name))
        refuse(`${path}.resources.${source}.${name}`, 'only cpu, memory and nvidia.com/gpu can be sized');
    }
  }
  if (resources?.claims?.length) refuse(`${path}.resources.claims`, 'dynamic resource claims cannot be met');
  const cpuLimit = quantity(resources, 'limits', 'cpu', path);
  const memoryLimit = quantity(resources, 'limits', 'memory', path);
  const requests: ResourceRequests = {
    cpu: aciCpu(quantity(resources, 'requests', 'cpu', path) ?? cpuLimit ?? defaults.cpu),
    memoryInGB: aciMemoryInGB(
      quantity(resources, 'requests', 'memory', path) ?? memoryLimit ?? defaults.memory,
    ),
  };
  const gpus = gpuCount(resources, path);
  const gpu = gpus ? { count: gpus, sku: gpuSku ?? defaults.gpuSku } : undefined;
  if (gpu) requests.gpu = gpu;
  const limits = {
    ...(cpuLimit !== undefined ? { cpu: aciCpu(cpuLimit) } : {}),
    ...(memoryLimit !== undefined ? { memoryInGB: aciMemoryInGB(memoryLimit) } : {}),
    ...(gpu ? { gpu } : {}),
  };
  return Object.keys(limits).length > 0 ? { requests, limits } : { requests };
}
