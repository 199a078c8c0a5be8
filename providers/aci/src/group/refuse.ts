import { InvalidInputError } from '@vkubelet/provider-kit';

/** A pod ACI cannot run as given: InvalidInputError naming the field, which core shows on the pod. */
export function refuse(field: string, why: string): never {
  throw new InvalidInputError(`${field}: ${why} (not supported on Azure Container Instances)`);
}
