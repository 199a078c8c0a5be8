import {
  context,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';

import { errorKind } from '../errdefs/index.js';

/**
 * The tracer of provider-kit's spans (backend calls, the provider runtime's loops). Spans go through
 * the OpenTelemetry API only: they cost next to nothing until an application registers an SDK
 * (`virtual-kubelet --trace-exporter otlp` does).
 */
export const providerKitTracer: Tracer = trace.getTracer('@vkubelet/provider-kit');

/**
 * Marks a span failed with `error`: the exception as an event, status ERROR with its message, and
 * `error.type`, the errdefs kind when it has one (`NotFound`, `Transient`, ...), else its class name.
 */
export function recordSpanError(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  span.setAttribute('error.type', errorKind(error) ?? (err.name || '_OTHER'));
}

export interface InSpanOptions extends SpanOptions {
  /** The parent; default the active context (the span of the caller, if any). */
  parent?: Context;
}

/**
 * Runs `work` in a new span, active while it runs (so spans started inside are its children), and
 * ends the span when `work` settles; an error is recorded on the span and rethrown.
 */
export function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: InSpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const { parent, ...spanOptions } = options;
  return tracer.startActiveSpan(name, spanOptions, parent ?? context.active(), async span => {
    try {
      return await work(span);
    } catch (error) {
      recordSpanError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
