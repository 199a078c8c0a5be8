export { buildScript, collectorBinary, MissingCollectorError } from './binary.js';
export { startCollector, type Collector, type CollectorOptions } from './collector.js';
export { durationMs, parseSpans, renderTrace, type ReceivedSpan } from './spans.js';
