/**
 * `@vkubelet/provider-kit/mock`: an in-memory provider for tests, demos and benchmarks.
 * @packageDocumentation
 */
export { MockBackend, type PodListener } from './backend.js';
export { BEHAVIOUR_ANNOTATION } from './behaviour.js';
export { CPU_USAGE_ANNOTATION, MEMORY_USAGE_ANNOTATION } from './usage.js';
export {
  MOCK_OPERATIONS,
  mockConfigFileSchema,
  mockSettingsSchema,
  parseMockSettings,
  type InjectedError,
  type MockOperation,
  type MockSettings,
  type MockSettingsInput,
  type PortBehaviour,
} from './options.js';
export { loadMockConfig, mockPlugin } from './plugin.js';
export { MockProvider, type MockProviderOptions } from './provider.js';

/*
 * The mock's process model, shared with the backend emulators under tools/ (ACI, ECI, Nomad): they run
 * their container groups, allocations and tasks as PodRuntimes, so logs, exec, attach, exit codes and
 * restarts behave exactly as in the mock provider.
 */
export { ContainerLog } from './container-log.js';
export { PodRuntime, type ContainerRun, type PodRuntimeHooks } from './pod-runtime.js';
export { attachToRun, execInContainer, findContainer, writeWithBackpressure } from './streams.js';
