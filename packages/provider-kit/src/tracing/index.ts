export { inSpan, providerKitTracer, recordSpanError, type InSpanOptions } from './spans.js';
export { podAttributes, SpanAttribute } from './attributes.js';
