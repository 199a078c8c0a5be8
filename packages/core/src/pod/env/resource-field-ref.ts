import type { V1Container, V1ResourceFieldSelector } from '@kubernetes/client-node';

import { EnvResolutionError } from './errors.js';
import { errorMessage, parseQuantity } from '@vkubelet/provider-kit';

/** Node allocatable, by resource name; what a limit defaults to when the container sets none. */
export type NodeAllocatable = Readonly<Record<string, string | number>>;

type ContainerLike = Pick<V1Container, 'name' | 'resources'>;

/**
 * The value of a resourceFieldRef, with the kubelet's rounding: CPU in units of the divisor rounded
 * up from millicores, other resources rounded up to whole divisors. An unset limit is the node's
 * allocatable (kubelet MergeContainerResourceLimits); an unset request is 0.
 */
export function resolveResourceFieldRef(
  selector: V1ResourceFieldSelector,
  container: ContainerLike,
  containers: readonly ContainerLike[],
  allocatable: NodeAllocatable,
): string {
  const target = selector.containerName
    ? containers.find(candidate => candidate.name === selector.containerName)
    : container;
  if (!target) {
    throw new EnvResolutionError(
      'invalid',
      `resourceFieldRef: container "${selector.containerName}" not found`,
    );
  }
  const match = /^(limits|requests)\.(.+)$/.exec(selector.resource);
  if (!match) throw new EnvResolutionError('invalid', `unsupported resource "${selector.resource}"`);
  const [, kind = '', resource = ''] = match;
  const isCpu = resource === 'cpu';
  if (
    !isCpu &&
    resource !== 'memory' &&
    resource !== 'ephemeral-storage' &&
    !resource.startsWith('hugepages-')
  ) {
    throw new EnvResolutionError('invalid', `unsupported resource "${selector.resource}"`);
  }
  const declared =
    kind === 'limits' ? target.resources?.limits?.[resource] : target.resources?.requests?.[resource];
  const raw = declared ?? (kind === 'limits' ? allocatable[resource] : undefined) ?? 0;
  try {
    const value = parseQuantity(raw);
    const divisor = parseQuantity(selector.divisor ?? (isCpu ? '1' : '1'));
    if (divisor <= 0) throw new TypeError(`divisor must be positive, got "${selector.divisor}"`);
    if (isCpu) {
      const millis = Math.round(value * 1000);
      const divisorMillis = Math.max(1, Math.round(divisor * 1000));
      return String(Math.ceil(millis / divisorMillis));
    }
    return String(Math.ceil(value / divisor));
  } catch (err) {
    throw new EnvResolutionError('invalid', `resourceFieldRef ${selector.resource}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}
