export { runSoak, summaryLine, type SoakOptions, type SoakReport } from './soak.js';
export { runHandovers, type HandoverOptions, type HandoverReport } from './handover.js';
export type { BackendEvent, BackendFault, BackendPod, SoakBackend, SoakDefaults } from './backend/types.js';
export { MockSoakBackend } from './backend/mock/adapter.js';
export { CriSoakBackend } from './backend/cri/adapter.js';
export { checkInvariants, countViolations, type InvariantCounts, type Violations } from './invariants.js';
