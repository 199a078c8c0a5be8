/**
 * `@vkubelet/provider-kit/testing`: helpers for a provider's tests.
 * @packageDocumentation
 */
export { fakeProviderContext, type FakeProviderContext } from './fake-context.js';
