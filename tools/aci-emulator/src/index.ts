export { startAciEmulator, type AciEmulator } from './emulator.js';
export type {
  AciCapabilities,
  AciEmulatorOptions,
  AciQuota,
  ExecCommandMode,
  ProvisioningDelays,
} from './options.js';
export { FaultSwitches, FAULT_SWITCHES, type FaultExtent, type RequestFilter } from './faults.js';
export type { FaithfulnessViolation, RecordedRequest } from './recorder.js';
export { ContainerInstanceDefinition, type Direction, type Violation } from './faithfulness/definition.js';
export { CLIENT_ASSERTION_TYPE, FEDERATED_TOKEN_AUDIENCE } from './identity/entra.js';
export { CONTAINER_INSTANCE_API_VERSIONS } from './arm/server.js';
