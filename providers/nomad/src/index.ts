export { NomadBackend, type NomadBackendOptions } from './backend.js';
export { nomadConfigSchema, type NomadConfig, type NomadConfigInput } from './config.js';
export { jobId, META } from './mapping/identity.js';
export {
  ANNOTATIONS,
  buildJob,
  DRIVERS,
  GROUP,
  type Driver,
  type JobSettings,
  type PodContent,
  type RestartSettings,
} from './mapping/job.js';
export { taskResources, type CpuSettings } from './mapping/resources.js';
export { readVolumeFiles } from './mapping/volumes.js';
export { NomadApi } from './nomad/api.js';
export { NomadApiError, NomadClient, type NomadConnection } from './nomad/client.js';
export { NomadPermissionError, toProviderError } from './nomad/errors.js';
export type * from './nomad/types.js';
export { createNomadProvider, nomadConnection, plugin, type CreateNomadProviderOptions } from './plugin.js';
export { NomadProvider, type NomadProviderOptions } from './provider.js';
export { observeJob, type JobState } from './status.js';
