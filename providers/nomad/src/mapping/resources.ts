import type { V1Container, V1ResourceRequirements } from '@kubernetes/client-node';
import { InvalidInputError, parseQuantity } from '@vkubelet/provider-kit';

import type { Resources } from '../nomad/types.js';
import { refuse } from './refuse.js';

const MiB = 2 ** 20;
/** Nomad refuses tasks with less memory than this (MB, which in Nomad means MiB). */
export const MIN_MEMORY_MB = 10;
/** Kubernetes' GPU resource and the Nomad device it asks for (the nvidia device plugin's name). */
const DEVICES: Record<string, string> = { 'nvidia.com/gpu': 'nvidia/gpu' };
const KNOWN = new Set(['cpu', 'memory', 'ephemeral-storage', ...Object.keys(DEVICES)]);

export interface CpuSettings {
  /** MHz a Kubernetes core is worth on the Nomad clients. */
  cpuMHzPerCore: number;
  /** Whole-core CPU with request = limit reserves exclusive cores (Nomad `cores`) instead of MHz. */
  exclusiveCores: boolean;
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

/** Rounds up, ignoring floating-point noise (0.1 cores of 2000 MHz is 200 MHz, not 200.00000000000003). */
const ceil = (value: number): number => Math.ceil(value - 1e-9);

/**
 * A container's Nomad resources: CPU in MHz from its CPU request (else its limit) times the MHz of
 * a core (or whole `cores`, see CpuSettings); `MemoryMB` from its memory request (else its limit)
 * in MiB, and `MemoryMaxMB` from a higher limit (Nomad's memory oversubscription); GPUs as devices.
 * A container without requests or limits gets Nomad's defaults (100 MHz, 300 MB). The Go provider
 * read whole cores as MHz and bytes as MB; these are the units Nomad means.
 */
export function taskResources(
  container: V1Container,
  path: string,
  settings: CpuSettings,
): Resources | undefined {
  const spec = container.resources;
  for (const source of ['limits', 'requests'] as const) {
    for (const name of Object.keys(spec?.[source] ?? {})) {
      if (!KNOWN.has(name))
        refuse(
          `${path}.resources.${source}.${name}`,
          'only cpu, memory, ephemeral-storage and nvidia.com/gpu',
        );
    }
  }
  const resources: Resources = {};
  const cpuRequest = quantity(spec, 'requests', 'cpu', path);
  const cpuLimit = quantity(spec, 'limits', 'cpu', path);
  const cores = cpuRequest ?? cpuLimit;
  if (cores !== undefined && cores > 0) {
    const whole = settings.exclusiveCores && cpuLimit === cores && Number.isInteger(cores);
    if (whole) resources.Cores = cores;
    else resources.CPU = Math.max(1, ceil(cores * settings.cpuMHzPerCore));
  }
  const memoryRequest = quantity(spec, 'requests', 'memory', path);
  const memoryLimit = quantity(spec, 'limits', 'memory', path);
  const memory = memoryRequest ?? memoryLimit;
  if (memory !== undefined && memory > 0) {
    resources.MemoryMB = Math.max(MIN_MEMORY_MB, ceil(memory / MiB));
    if (memoryLimit !== undefined && ceil(memoryLimit / MiB) > resources.MemoryMB)
      resources.MemoryMaxMB = ceil(memoryLimit / MiB);
  }
  for (const [name, device] of Object.entries(DEVICES)) {
    const count = quantity(spec, 'limits', name, path) ?? quantity(spec, 'requests', name, path);
    if (count === undefined || count === 0) continue;
    if (!Number.isInteger(count)) refuse(`${path}.resources.limits.${name}`, 'devices are counted whole');
    resources.Devices = [...(resources.Devices ?? []), { Name: device, Count: count }];
  }
  return Object.keys(resources).length > 0 ? resources : undefined;
}

/** The pod's ephemeral-storage (requests, else limits, of every container) in MB, for the group's disk. */
export function ephemeralDiskMB(containers: ReadonlyArray<{ container: V1Container; path: string }>): number {
  let bytes = 0;
  for (const { container, path } of containers) {
    const spec = container.resources;
    bytes +=
      quantity(spec, 'requests', 'ephemeral-storage', path) ??
      quantity(spec, 'limits', 'ephemeral-storage', path) ??
      0;
  }
  return ceil(bytes / MiB);
}
