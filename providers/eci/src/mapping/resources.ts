import type { V1ResourceRequirements } from '@kubernetes/client-node';
import { InvalidInputError, parseQuantity } from '@vkubelet/provider-kit';

import { refuse } from './refuse.js';

/** vCPUs and GiB. */
export interface Size {
  cpu: number;
  memory: number;
}

/**
 * The vCPU / memory (GiB) specifications ECI offers in every region (Alibaba Cloud: "Specify the
 * number of vCPUs and memory size to create an elastic container instance"). A group's request is
 * rounded up to the smallest specification holding it.
 */
export const ECI_SPECIFICATIONS: ReadonlyArray<{ cpu: number; memories: readonly number[] }> = [
  { cpu: 0.25, memories: [0.5, 1] },
  { cpu: 0.5, memories: [1, 2] },
  { cpu: 1, memories: [2, 4, 8] },
  { cpu: 2, memories: [1, 2, 4, 8, 16] },
  { cpu: 4, memories: [2, 4, 8, 16, 32] },
  { cpu: 8, memories: [4, 8, 16, 32, 64] },
  { cpu: 12, memories: [12, 24, 48, 96] },
  { cpu: 16, memories: [16, 32, 64, 128] },
  { cpu: 24, memories: [24, 48, 96, 192] },
  { cpu: 32, memories: [32, 64, 128, 256] },
  { cpu: 52, memories: [96, 192, 384] },
  { cpu: 64, memories: [128, 256, 512] },
];

export const MAX_SIZE: Size = { cpu: 64, memory: 512 };
/** The temporary storage every group gets for free; ECI offers no more without a data disk. */
export const EPHEMERAL_STORAGE_GIB = 30;
const GPU = 'nvidia.com/gpu';
const SIZED = new Set(['cpu', 'memory', 'ephemeral-storage', GPU]);
const GiB = 2 ** 30;

/** The smallest specification holding `needed`, or undefined beyond the largest. */
export function fitSpecification(needed: Size): Size | undefined {
  for (const { cpu, memories } of ECI_SPECIFICATIONS) {
    if (cpu < needed.cpu - 1e-9) continue;
    const memory = memories.find(candidate => candidate >= needed.memory - 1e-9);
    if (memory !== undefined) return { cpu, memory };
  }
  return undefined;
}

/** What a container (or the pod, `spec.resources`) asks for: its limits, else its requests. */
export interface ResourceAsk extends Size {
  gpu: number;
}

function quantity(resources: V1ResourceRequirements | undefined, name: string, path: string): number {
  for (const source of ['limits', 'requests'] as const) {
    const value = resources?.[source]?.[name];
    if (value === undefined) continue;
    try {
      return parseQuantity(value);
    } catch {
      throw new InvalidInputError(`${path}.${source}.${name}: invalid quantity "${value}"`);
    }
  }
  return 0;
}

/**
 * A container's size on ECI: its limits, else its requests (a group is a machine of its own, sized to
 * hold what its containers may use). GPUs (`nvidia.com/gpu`) become ECI's `Gpu`; ephemeral storage up
 * to the free 30 GiB is accepted; other resources are refused, naming them.
 */
export function resourceAsk(resources: V1ResourceRequirements | undefined, path: string): ResourceAsk {
  for (const source of ['limits', 'requests'] as const) {
    for (const name of Object.keys(resources?.[source] ?? {})) {
      if (!SIZED.has(name))
        refuse(`${path}.${source}.${name}`, `only cpu, memory, ephemeral-storage and ${GPU} can be provided`);
    }
  }
  const storage = quantity(resources, 'ephemeral-storage', path) / GiB;
  if (storage > EPHEMERAL_STORAGE_GIB) {
    refuse(
      `${path}.limits.ephemeral-storage`,
      `${storage.toFixed(1)} GiB asked; a group has ${EPHEMERAL_STORAGE_GIB} GiB of temporary storage`,
    );
  }
  const gpu = quantity(resources, GPU, path);
  if (!Number.isInteger(gpu)) throw new InvalidInputError(`${path}.limits.${GPU}: must be a whole number`);
  return { cpu: quantity(resources, 'cpu', path), memory: quantity(resources, 'memory', path) / GiB, gpu };
}

/** Rounds up to ECI's granularity (thousandths), ignoring floating-point noise. */
export function roundUp(value: number): number {
  return Math.ceil(value * 1000 - 1e-6) / 1000;
}

/**
 * The specification of a group: the larger of the pod's own ask (`spec.resources`) and what its
 * containers need together (app containers side by side, init containers one at a time, as
 * Kubernetes computes a pod's effective request), rounded up; undefined when nothing is asked
 * (ECI's default, 2 vCPUs and 4 GiB). Refused, naming the fields, beyond the largest.
 */
export function groupSize(
  app: readonly ResourceAsk[],
  init: readonly ResourceAsk[],
  pod: ResourceAsk | undefined,
): Size | undefined {
  const sum = (key: keyof Size) => app.reduce((total, ask) => total + ask[key], 0);
  const max = (key: keyof Size) => Math.max(0, ...init.map(ask => ask[key]));
  const needed: Size = {
    cpu: Math.max(sum('cpu'), max('cpu'), pod?.cpu ?? 0),
    memory: Math.max(sum('memory'), max('memory'), pod?.memory ?? 0),
  };
  if (needed.cpu === 0 && needed.memory === 0) return undefined;
  const size = fitSpecification(needed);
  if (size) return size;
  const field =
    needed.cpu > MAX_SIZE.cpu
      ? `${pod && pod.cpu >= needed.cpu ? 'spec.resources' : 'spec.containers[*].resources'}.cpu`
      : `${pod && pod.memory >= needed.memory ? 'spec.resources' : 'spec.containers[*].resources'}.memory`;
  return refuse(
    field,
    `the pod needs ${roundUp(needed.cpu)} vCPUs and ${roundUp(needed.memory)} GiB; ` +
      `ECI's largest specification has ${MAX_SIZE.cpu} vCPUs and ${MAX_SIZE.memory} GiB`,
  );
}
