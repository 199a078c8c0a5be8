export { startEciEmulator, type EciEmulator, type EciGroupSummary } from './emulator.js';
export type { EciEmulatorOptions } from './options.js';
export type { EciFaults, FailOptions, ThrottleOptions } from './faults.js';
export type { EciTiming } from './groups/timing.js';
export type { GroupStatus } from './groups/group.js';
export { percentEncode } from './rpc/percent.js';
export { canonicalQuery, signatureV1, stringToSign } from './rpc/signature.js';
