/** The samplers `--trace-sample-rate` and `OTEL_TRACES_SAMPLER` choose from. */
export type SamplerConfig =
  | { type: 'always_on' | 'always_off' }
  | { type: 'traceidratio'; ratio: number }
  | {
      type: 'parentbased';
      root: { type: 'always_on' | 'always_off' } | { type: 'traceidratio'; ratio: number };
    };

/** The OTLP encodings of `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** The batch span processor's settings (`OTEL_BSP_*`); unset ones keep the SDK's defaults. */
export interface BatchConfig {
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
  maxQueueSize?: number;
  maxExportBatchSize?: number;
}

/**
 * How the agent traces, once tracing is on (`--trace-exporter otlp`, or `OTEL_TRACES_EXPORTER=otlp`).
 * Where spans go (endpoint, headers, TLS files, timeout, compression) the OTLP exporter reads from
 * the standard `OTEL_EXPORTER_OTLP_*` variables, checked beforehand by the command line.
 */
export interface TracingConfig {
  /** `service.name` of every span (`--trace-service-name`, else `OTEL_SERVICE_NAME`, else `virtual-kubelet`). */
  serviceName: string;
  /** Extra resource attributes (`--trace-tag key=value`). */
  tags: Record<string, string>;
  sampler: SamplerConfig;
  protocol: OtlpProtocol;
  batch: BatchConfig;
}

/**
 * Resource attributes the agent sets itself: upstream's reserved `--trace-tag` keys, and the
 * OpenTelemetry names they have in vkubelet's spans.
 */
export const RESERVED_TRACE_TAGS: readonly string[] = [
  'operatingSystem',
  'provider',
  'nodeName',
  'service.name',
  'service.version',
  'k8s.node.name',
  'os.type',
  'vkubelet.provider',
];
