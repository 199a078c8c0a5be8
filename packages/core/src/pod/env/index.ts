export { EnvResolutionError, type EnvResolutionFailure } from './errors.js';
export { expandVariables, lookupIn, type VariableLookup } from './expansion.js';
export type { RuntimeFields } from './field-ref.js';
export { EnvEventReason } from './reasons.js';
export type { NodeAllocatable } from './resource-field-ref.js';
export { resolvePodEnvironment, type EnvResolutionContext } from './resolve-env.js';
