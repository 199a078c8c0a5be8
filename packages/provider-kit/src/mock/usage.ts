import type { V1Pod } from '@kubernetes/client-node';

import { InvalidInputError } from '../errdefs/index.js';
import { parseQuantity } from '../quantity.js';

/**
 * Pod annotations that set the CPU (a quantity of cores: `250m`, `1.5`) and memory (bytes: `300Mi`)
 * a mock container reports in its stats, instead of the figures derived from its name: how a demo or
 * a test makes an HPA scale. On the pod they apply to every app container; the suffixed form
 * `mock.vkubelet.io/cpu-usage.<container>` targets one. Read when the pod is created.
 */
export const CPU_USAGE_ANNOTATION = 'mock.vkubelet.io/cpu-usage';
export const MEMORY_USAGE_ANNOTATION = 'mock.vkubelet.io/memory-usage';

/** What a container reports instead of its derived figures; an absent member keeps the derived one. */
export interface ContainerUsage {
  nanoCores?: number;
  memoryBytes?: number;
}

function annotated(pod: V1Pod, annotation: string, container: string): number | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  const key = `${annotation}.${container}` in annotations ? `${annotation}.${container}` : annotation;
  const value = annotations[key];
  if (value === undefined) return undefined;
  let amount: number;
  try {
    amount = parseQuantity(value);
  } catch {
    amount = Number.NaN;
  }
  if (!Number.isFinite(amount) || amount < 0) {
    throw new InvalidInputError(`${key}: "${value}" is not a non-negative resource quantity`);
  }
  return amount;
}

/** The usage the annotations ask of `container`; InvalidInputError naming the annotation when malformed. */
export function containerUsage(pod: V1Pod, container: string): ContainerUsage {
  const cores = annotated(pod, CPU_USAGE_ANNOTATION, container);
  const bytes = annotated(pod, MEMORY_USAGE_ANNOTATION, container);
  return {
    ...(cores !== undefined ? { nanoCores: Math.round(cores * 1e9) } : {}),
    ...(bytes !== undefined ? { memoryBytes: Math.round(bytes) } : {}),
  };
}
