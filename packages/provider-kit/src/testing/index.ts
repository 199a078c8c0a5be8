/**
 * `@vkubelet/provider-kit/testing`: helpers for a provider's tests.
 * @packageDocumentation
 */
export { fakeProviderContext, type FakeProviderContext, type RecordedPodEvent } from './fake-context.js';
