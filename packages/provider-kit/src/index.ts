export * from './errdefs/index.js';
export { noopLogger, type Logger, type LogMeta } from './logger.js';
export {
  noopMeter,
  type MetricCounter,
  type MetricGauge,
  type MetricHistogram,
  type MetricLabels,
  type MetricMeter,
} from './metrics.js';
export {
  END_OF_HISTORY,
  type AttachIO,
  type CallOptions,
  type ContainerLogOptions,
  type LogEntry,
  type LogItem,
  type NodeProvider,
  type PodLifecycleHandler,
  type PodEventSink,
  type PodEventType,
  type PodNotifier,
  type PodRef,
  type Provider,
  type ProviderCapabilities,
  type ProviderContext,
  type ProviderPlugin,
  type ResourceLister,
  type ServiceAccountTokenIssuer,
  type ServiceAccountTokenRequest,
  type TerminalSize,
} from './provider.js';
export type * from './stats.js';
export { applyLogOptions, formatRfc3339Nano, logsSince } from './logs.js';
export { parseQuantity } from './quantity.js';
export { copyApiObject } from './copy.js';
export { jsonAtSeconds, jsonEqual, jsonEqualAsStored, jsonEqualAtSeconds } from './json-equal.js';
export * from './status/index.js';
export { advertiseNode, type NodeOffer } from './node/advertise-node.js';
export * from './plugin/index.js';
export * from './runtime/index.js';
export * from './volumes/index.js';
export * from './tracing/index.js';
