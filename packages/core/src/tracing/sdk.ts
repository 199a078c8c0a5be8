import { context, diag, DiagLogLevel, propagation, trace, type DiagLogger } from '@opentelemetry/api';
// Types only (erased): the SDK itself is loaded with dynamic imports in startTracing.
import type * as SdkTrace from '@opentelemetry/sdk-trace';
import type { Sampler, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Logger } from '@vkubelet/provider-kit';
import { errorMessage } from '@vkubelet/provider-kit';

import { CORE_VERSION } from '../agent/version.js';
import type { OtlpProtocol, SamplerConfig, TracingConfig } from './config.js';

/** Who is tracing: the resource attributes every span carries. */
export interface TracingIdentity {
  nodeName: string;
  /** The provider's name (`mock`, `cri`, `fargate`, ...). */
  provider: string;
  operatingSystem: string;
}

/** A running OpenTelemetry SDK: `shutdown()` sends the spans still queued and unregisters it. */
export interface TracingHandle {
  shutdown(timeoutMs?: number): Promise<void>;
}

/** The OTLP exporter of the protocol, loaded only now (grpc brings @grpc/grpc-js along). */
async function createExporter(protocol: OtlpProtocol): Promise<SpanExporter> {
  switch (protocol) {
    case 'grpc':
      return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
    case 'http/json':
      return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
    case 'http/protobuf':
      return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
  }
}

function createSampler(sdk: typeof SdkTrace, config: SamplerConfig): Sampler {
  switch (config.type) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return new sdk.TraceIdRatioBasedSampler(config.ratio);
    case 'parentbased':
      return new sdk.ParentBasedSampler({ root: createSampler(sdk, config.root) });
  }
}

/** OpenTelemetry's own complaints (an export that failed, a dropped span) as warnings in the agent's log. */
function diagLogger(logger: Logger): DiagLogger {
  const ignore = (): void => {};
  return {
    error: (message, ...args) => logger.warn(`tracing: ${message}`, { details: args.map(String).join(' ') }),
    warn: (message, ...args) => logger.warn(`tracing: ${message}`, { details: args.map(String).join(' ') }),
    info: ignore,
    debug: ignore,
    verbose: ignore,
  };
}

/**
 * Loads and registers the OpenTelemetry SDK: a tracer provider with the configured sampler, a batch
 * span processor with the OTLP exporter, the W3C trace-context propagator (so the API server's
 * spans join the agent's traces) and the AsyncLocalStorage context manager. Loaded with dynamic
 * imports, so an agent without tracing never loads the SDK and its memory stays as it was.
 */
export async function startTracing(
  config: TracingConfig,
  identity: TracingIdentity,
  logger: Logger,
): Promise<TracingHandle> {
  const [sdk, resources, core, hooks, exporter] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/core'),
    import('@opentelemetry/context-async-hooks'),
    createExporter(config.protocol),
  ]);
  diag.setLogger(diagLogger(logger), DiagLogLevel.WARN);
  // An export that failed (the collector down) as one plain line, not the SDK's JSON dump of the error.
  core.setGlobalErrorHandler(err => logger.warn('tracing: sending spans failed', { err: errorMessage(err) }));
  // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME first; what the agent knows itself wins.
  const resource = resources
    .defaultResource()
    .merge(resources.detectResources({ detectors: [resources.envDetector] }))
    .merge(
      resources.resourceFromAttributes({
        ...config.tags,
        'service.name': config.serviceName,
        'service.version': CORE_VERSION,
        'k8s.node.name': identity.nodeName,
        'os.type': identity.operatingSystem,
        'vkubelet.provider': identity.provider,
      }),
    );
  const provider = new sdk.TracerProvider({
    resource,
    sampler: createSampler(sdk, config.sampler),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter, ...config.batch })],
  });
  const contextManager = new hooks.AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  logger.info('tracing to OTLP', { protocol: config.protocol, serviceName: config.serviceName });
  return {
    async shutdown(timeoutMs = 5_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>(resolve => {
        timer = setTimeout(() => {
          logger.warn('tracing: spans not sent within the shutdown time; dropping them');
          resolve();
        }, timeoutMs);
      });
      try {
        await Promise.race([provider.shutdown(), timeout]);
      } catch (err) {
        logger.warn('tracing: shutting down failed', { err: errorMessage(err) });
      } finally {
        clearTimeout(timer);
        trace.disable();
        propagation.disable();
        context.disable();
        diag.disable();
      }
    },
  };
}
