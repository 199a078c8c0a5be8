export {
  startNomadEmulator,
  type NomadEmulator,
  type NomadEmulatorOptions,
  type NomadFaults,
} from './emulator.js';
export type { CoarseRule, NamespaceRule, TokenRules } from './acl.js';
export type { FailRequests } from './faults.js';
export type { NodeOptions } from './state/nodes.js';
export type * from './api/types.js';
