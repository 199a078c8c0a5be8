import type { V1Pod, V1ResourceRequirements } from '@kubernetes/client-node';

import { parseQuantity } from '../quantity.js';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = ['cpu', 'memory'] as const;

function amount(list: Record<string, string> | undefined, resource: string): number {
  const value = list?.[resource];
  if (value === undefined) return 0;
  try {
    return parseQuantity(value);
  } catch {
    return 0;
  }
}

/** The class of one set of requirements: cpu and memory requests equal to limits, or none at all. */
function resourceQOS(resources: V1ResourceRequirements | undefined): QOSClass {
  const limits = resources?.limits;
  // The API server defaults a missing request to its limit; a pod built by hand gets the same answer.
  const requests = { ...limits, ...resources?.requests };
  if (Object.keys(requests).length === 0) return 'BestEffort';
  let qos: QOSClass | undefined;
  for (const resource of QOS_RESOURCES) {
    const request = amount(requests, resource);
    if (request !== amount(limits, resource)) return 'Burstable';
    const bestEffort = request === 0;
    if (qos === undefined) qos = bestEffort ? 'BestEffort' : 'Guaranteed';
    else if (bestEffort !== (qos === 'BestEffort')) return 'Burstable';
  }
  return qos ?? 'BestEffort';
}

/**
 * The pod's QoS class by the kubelet's rules (`ComputePodQOS`): pod-level resources when the spec has
 * them; otherwise every app and init container must agree, Guaranteed when each has cpu and memory
 * requests equal to its limits, BestEffort when none asks for anything, Burstable in between.
 */
export function podQOSClass(pod: V1Pod): QOSClass {
  const spec = pod.spec;
  if (spec?.resources) return resourceQOS(spec.resources);
  let qos: QOSClass | undefined;
  for (const container of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    const own = resourceQOS(container.resources);
    if (own === 'Burstable') return own;
    if (qos === undefined) qos = own;
    else if (qos !== own) return 'Burstable';
  }
  return qos ?? 'BestEffort';
}
