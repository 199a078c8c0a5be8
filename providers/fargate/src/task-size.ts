/**
 * Fargate task sizes: ECS CPU units (1024 = 1 vCPU) and the memory (MiB) each allows. Current AWS
 * table for Linux on platform 1.4.0, including the 8 and 16 vCPU sizes the old Go provider lacked.
 */
export interface TaskSize {
  /** ECS CPU units. */
  cpu: number;
  /** MiB. */
  memory: number;
}

const GiB = 1024;

function range(fromGiB: number, toGiB: number, stepGiB: number): number[] {
  const values: number[] = [];
  for (let gib = fromGiB; gib <= toGiB; gib += stepGiB) values.push(gib * GiB);
  return values;
}

/** Every valid (cpu, memory) pair, smallest first. */
export const FARGATE_TASK_SIZES: ReadonlyArray<{ cpu: number; memories: readonly number[] }> = [
  { cpu: 256, memories: [512, 1 * GiB, 2 * GiB] },
  { cpu: 512, memories: range(1, 4, 1) },
  { cpu: 1024, memories: range(2, 8, 1) },
  { cpu: 2048, memories: range(4, 16, 1) },
  { cpu: 4096, memories: range(8, 30, 1) },
  { cpu: 8192, memories: range(16, 60, 4) },
  { cpu: 16384, memories: range(32, 120, 8) },
];

/** The largest size Fargate offers. */
export const MAX_TASK_SIZE: TaskSize = { cpu: 16384, memory: 120 * GiB };

/**
 * The smallest valid Fargate size with at least `required` CPU units and MiB, or undefined when
 * nothing is large enough. Sizes are ordered by CPU, so the first CPU row that fits and has a memory
 * value large enough wins (a larger-CPU row is chosen only when the memory needs it).
 */
export function fargateTaskSize(required: TaskSize): TaskSize | undefined {
  for (const row of FARGATE_TASK_SIZES) {
    if (row.cpu < required.cpu) continue;
    const memory = row.memories.find(m => m >= required.memory);
    if (memory !== undefined) return { cpu: row.cpu, memory };
  }
  return undefined;
}
