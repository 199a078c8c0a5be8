import { apiErrors } from '../rpc/errors.js';

/**
 * The vCPU/memory (GiB) combinations ECI offers in every region (help.aliyun.com, "Specify the number
 * of vCPUs and memory size to create an elastic container instance"). A request between two of them
 * is rounded up to the smallest one that holds it; one beyond the largest cannot be served.
 */
const SPECIFICATIONS: ReadonlyArray<readonly [cpu: number, memories: readonly number[]]> = [
  [0.25, [0.5, 1]],
  [0.5, [1, 2]],
  [1, [2, 4, 8]],
  [2, [1, 2, 4, 8, 16]],
  [4, [2, 4, 8, 16, 32]],
  [8, [4, 8, 16, 32, 64]],
  [12, [12, 24, 48, 96]],
  [16, [16, 32, 64, 128]],
  [24, [24, 48, 96, 192]],
  [32, [32, 64, 128, 256]],
  [52, [96, 192, 384]],
  [64, [128, 256, 512]],
];

/** What ECI creates when neither the group nor its containers ask for resources. */
export const DEFAULT_SPECIFICATION = { cpu: 2, memory: 4 } as const;

export const MAX_CPU = 64;
export const MAX_MEMORY_GIB = 512;

export interface Specification {
  cpu: number;
  memory: number;
}

/** The smallest offered specification holding `cpu` vCPUs and `memory` GiB, or undefined. */
export function fitSpecification(cpu: number, memory: number): Specification | undefined {
  for (const [specCpu, memories] of SPECIFICATIONS) {
    if (specCpu < cpu) continue;
    const specMemory = memories.find(candidate => candidate >= memory);
    if (specMemory !== undefined) return { cpu: specCpu, memory: specMemory };
  }
  return undefined;
}

/**
 * The specification a group runs with: the larger of what the group asks for and what its containers
 * need, rounded up; refused (naming the parameter) when no specification can hold it.
 */
export function groupSpecification(
  requested: { cpu?: number; memory?: number },
  needed: Specification,
  prefix = '',
): Specification {
  const cpu = Math.max(requested.cpu ?? 0, needed.cpu);
  const memory = Math.max(requested.memory ?? 0, needed.memory);
  if (cpu > MAX_CPU) {
    throw apiErrors.invalidParameter(
      `${prefix}Cpu`,
      `No specification offers ${cpu} vCPUs (at most ${MAX_CPU}).`,
    );
  }
  if (memory > MAX_MEMORY_GIB) {
    throw apiErrors.invalidParameter(
      `${prefix}Memory`,
      `No specification offers ${memory} GiB of memory (at most ${MAX_MEMORY_GIB}).`,
    );
  }
  if (cpu === 0 && memory === 0) return { ...DEFAULT_SPECIFICATION };
  // Within the largest specification every combination fits one (64 vCPUs go up to 512 GiB).
  return fitSpecification(cpu, memory)!;
}

/**
 * What a group's containers need: app containers run side by side, init containers one at a time,
 * as Kubernetes computes a pod's effective request.
 */
export function containersNeed(
  containers: ReadonlyArray<{ cpu?: number; memory?: number }>,
  initContainers: ReadonlyArray<{ cpu?: number; memory?: number }>,
): Specification {
  const sum = (key: 'cpu' | 'memory') =>
    containers.reduce((total, container) => total + (container[key] ?? 0), 0);
  const max = (key: 'cpu' | 'memory') => Math.max(0, ...initContainers.map(container => container[key] ?? 0));
  return { cpu: Math.max(sum('cpu'), max('cpu')), memory: Math.max(sum('memory'), max('memory')) };
}
