import { InvalidInputError } from '@vkubelet/provider-kit';

/** The pod cannot run on Nomad as given: an InvalidInputError naming the field and why. */
export function refuse(field: string, why: string): never {
  throw new InvalidInputError(`${field}: ${why} (not supported by the Nomad provider)`);
}
