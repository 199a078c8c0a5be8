/**
 * `@vkubelet/provider-kit/mock`: an in-memory provider for tests, demos and benchmarks.
 * @packageDocumentation
 */
export { MockBackend, type PodListener } from './backend.js';
export { BEHAVIOUR_ANNOTATION } from './behaviour.js';
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
