export { podKey, podsEqualForProvider, isPodRunning, isTerminalPhase } from './compare.js';
export { PodController, PodEventReason, type PodControllerOptions } from './controller.js';
export * from './env/index.js';
export { PROVIDER_FAILED_REASON } from './status.js';
export type { PodApi, PodInformer } from './types.js';
