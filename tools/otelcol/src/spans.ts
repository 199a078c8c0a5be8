// The file exporter's output: one OTLP/JSON ExportTraceServiceRequest per line.

type AttributeValue = string | number | boolean;

/** A span as the collector received it, with its resource's service.name. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, AttributeValue>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  links: { traceId: string; spanId: string }[];
  service: string;
  /** The instrumentation scope (tracer) name: `@vkubelet/core`, `@vkubelet/provider-kit`, ... */
  scope: string;
}

interface OtlpKeyValue {
  key: string;
  value?: {
    stringValue?: string;
    intValue?: string | number;
    doubleValue?: number;
    boolValue?: boolean;
  };
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpKeyValue[];
  status?: { code?: number };
  links?: { traceId: string; spanId: string }[];
}

interface OtlpRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[];
  }[];
}

function attributesOf(list: OtlpKeyValue[] = []): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list) {
    if (!value) continue;
    const v = value.stringValue ?? value.boolValue ?? value.doubleValue ?? value.intValue;
    if (v !== undefined) out[key] = value.intValue !== undefined ? Number(value.intValue) : v;
  }
  return out;
}

/** Every span in the file's text (a last line still being written is skipped). */
export function parseSpans(text: string): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let request: OtlpRequest;
    try {
      request = JSON.parse(line) as OtlpRequest;
    } catch {
      continue;
    }
    for (const resourceSpans of request.resourceSpans ?? []) {
      const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? '');
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: span.kind ?? 0,
            startTimeUnixNano: BigInt(span.startTimeUnixNano),
            endTimeUnixNano: BigInt(span.endTimeUnixNano),
            attributes: attributesOf(span.attributes),
            statusCode: span.status?.code ?? 0,
            links: (span.links ?? []).map(({ traceId, spanId }) => ({ traceId, spanId })),
            service,
            scope: scopeSpans.scope?.name ?? '',
          });
        }
      }
    }
  }
  return spans;
}

/** Milliseconds a span lasted. */
export function durationMs(span: ReceivedSpan): number {
  return Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6;
}

/**
 * One trace as an indented tree, children under their parents in start order, each line with the
 * span's service, name and duration (for test failures and reports). Spans whose parent is not in
 * the trace are shown at the top level, marked with the missing parent.
 */
export function renderTrace(spans: readonly ReceivedSpan[]): string {
  const byId = new Map(spans.map(span => [span.spanId, span]));
  const children = new Map<string, ReceivedSpan[]>();
  const roots: ReceivedSpan[] = [];
  for (const span of [...spans].sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1))) {
    if (span.parentSpanId && byId.has(span.parentSpanId)) {
      children.set(span.parentSpanId, [...(children.get(span.parentSpanId) ?? []), span]);
    } else roots.push(span);
  }
  const origin = roots[0]?.startTimeUnixNano ?? 0n;
  const lines: string[] = [];
  const walk = (span: ReceivedSpan, depth: number): void => {
    const offset = Number(span.startTimeUnixNano - origin) / 1e6;
    const orphan =
      span.parentSpanId && !byId.has(span.parentSpanId) ? ` (parent ${span.parentSpanId} not here)` : '';
    lines.push(
      `${'  '.repeat(depth)}${span.service}: ${span.name}  +${offset.toFixed(1)} ms, ${durationMs(span).toFixed(1)} ms${orphan}`,
    );
    for (const child of children.get(span.spanId) ?? []) walk(child, depth + 1);
  };
  for (const root of roots) walk(root, 0);
  return lines.join('\n');
}
