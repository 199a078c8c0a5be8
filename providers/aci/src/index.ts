export { AciBackend, type AciBackendOptions } from './backend.js';
export { createCredential, credentialKind, loadTls, type AzureTls } from './azure/credential.js';
export { armStatus, callArm, toProviderError } from './azure/errors.js';
export { aciConfigSchema, type AciConfig, type AciConfigInput } from './config.js';
export { buildContainerGroup, type GroupSettings } from './group/build.js';
export { aciCommand, environment } from './group/containers.js';
export {
  containerGroupName,
  groupTags,
  identityFromTags,
  ownedBy,
  TAG,
  type GroupOwner,
} from './group/naming.js';
export { DNS_NAME_LABEL_ANNOTATION } from './group/network.js';
export {
  aciCpu,
  aciMemoryInGB,
  GPU_RESOURCE,
  GPU_SKU_ANNOTATION,
  type SizeDefaults,
} from './group/resources.js';
export { createAciClient, createAciProvider, plugin, type CreateAciProviderOptions } from './plugin.js';
export { AciProvider, type AciProviderOptions } from './provider.js';
export type { GroupState } from './status/group-state.js';
export { observeGroup } from './status/observe.js';
export { ShellMarker } from './streams/shell-marker.js';
