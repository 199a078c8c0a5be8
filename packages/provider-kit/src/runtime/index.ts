export { backendCaller, type BackendCaller, type BackendCallerOptions } from './backend-caller.js';
export type { BackendEvents, PodBackend } from './pod-backend.js';
export {
  PodTracker,
  podIdentity,
  withoutStatus,
  type PodIdentity,
  type PodTrackerOptions,
  type TrackedPod,
} from './pod-tracker.js';
export { ProviderRuntime, type ProviderRuntimeOptions, type RefreshOptions } from './provider-runtime.js';
