import { InvalidInputError } from '@vkubelet/provider-kit';

/** Refuses a pod ECI cannot run as given, naming the field: core fails the pod with this message. */
export function refuse(field: string, why: string): never {
  throw new InvalidInputError(`${field}: ${why} (not supported on ECI)`);
}

/** A field the pod sets that ECI has no counterpart for. */
export function refuseIf(condition: unknown, field: string, why: string): void {
  if (condition) refuse(field, why);
}
