export {
  EciClient,
  ECI_API_VERSION,
  type EciClientOptions,
  type EciCredentials,
  type RequestOptions,
} from './client/eci-client.js';
export { EciCredentialsError, describeFailure, toProviderError, type EciFailure } from './client/errors.js';
export { flattenParams, type ParamTree, type ParamValue } from './client/params.js';
export { EciBackend, type EciBackendOptions } from './backend.js';
export { eciConfigSchema, eciEndpoint, type EciConfig, type EciConfigInput } from './config.js';
export { groupName, TAG } from './identity.js';
export {
  buildCreateRequest,
  INSTANCE_TYPE_ANNOTATION,
  type CreateRequest,
  type GroupSettings,
} from './mapping/container-group.js';
export { ECI_SPECIFICATIONS, fitSpecification, type Size } from './mapping/resources.js';
export type { PodReferences } from './mapping/volumes.js';
export { createEciProvider, plugin, type CreateEciProviderOptions } from './plugin.js';
export { EciProvider, EXEC_SENTINEL_ANNOTATION, type EciProviderOptions } from './provider.js';
export { observeGroup, type GroupState } from './status/observe.js';
