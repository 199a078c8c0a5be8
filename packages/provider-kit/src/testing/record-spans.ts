import {
  context,
  propagation,
  trace,
  type Attributes,
  type SpanKind,
  type SpanStatus,
} from '@opentelemetry/api';

/** A finished span as a test sees it. */
export interface RecordedSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  /** Undefined for a root span. */
  parentSpanId: string | undefined;
  attributes: Attributes;
  status: SpanStatus;
  /** Names of the span's events (`exception` for a recorded error). */
  events: string[];
  /** Span IDs of the spans it links to. */
  links: string[];
  /** The tracer (instrumentation scope) that made it: `@vkubelet/core`, `@vkubelet/provider-kit`. */
  scope: string;
}

/** The spans finished since `recordSpans()` (or the last `reset()`), in the order they ended. */
export interface SpanRecorder {
  spans(): RecordedSpan[];
  reset(): void;
  /** Unregisters the SDK again: spans are no-ops from here on. */
  stop(): Promise<void>;
}

/**
 * Registers an in-memory OpenTelemetry SDK (every span sampled, W3C trace context, AsyncLocalStorage
 * context) for a test that checks the spans a provider or core makes. Needs the optional peer
 * dependencies `@opentelemetry/sdk-trace`, `@opentelemetry/context-async-hooks` and
 * `@opentelemetry/core`, loaded only when called.
 */
export async function recordSpans(): Promise<SpanRecorder> {
  const [sdk, hooks, core] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
  ]);
  const exporter = new sdk.InMemorySpanExporter();
  const provider = new sdk.TracerProvider({
    sampler: new sdk.AlwaysOnSampler(),
    spanProcessors: [new sdk.SimpleSpanProcessor({ exporter })],
  });
  context.setGlobalContextManager(new hooks.AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    spans: () =>
      exporter.getFinishedSpans().map(span => ({
        name: span.name,
        kind: span.kind,
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
        parentSpanId: span.parentSpanContext?.spanId,
        attributes: span.attributes,
        status: span.status,
        events: span.events.map(event => event.name),
        links: span.links.map(link => link.context.spanId),
        scope: span.instrumentationScope.name,
      })),
    reset: () => exporter.reset(),
    async stop() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
