/**
 * `@vkubelet/provider-kit/testing`: helpers for a provider's tests.
 * @packageDocumentation
 */
export {
  fakeProviderContext,
  type FakeProviderContext,
  type IssuedToken,
  type RecordedPodEvent,
} from './fake-context.js';
export { recordSpans, type RecordedSpan, type SpanRecorder } from './record-spans.js';
