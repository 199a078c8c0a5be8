import type { IncomingMessage } from 'node:http';

import {
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { SpanAttribute } from '@vkubelet/provider-kit';

import { CoreAttribute, coreTracer } from '../tracing/tracer.js';
import type { RouteLookup, RouteName } from './routes.js';

/** The routes that act on a pod, which get a span (health checks and metric scrapes do not). */
const TRACED_ROUTES: Partial<Record<RouteName, string>> = {
  containerLogs: '/containerLogs/{namespace}/{pod}/{container}',
  exec: '/exec/{namespace}/{pod}/{container}',
  attach: '/attach/{namespace}/{pod}/{container}',
  portForward: '/portForward/{namespace}/{pod}',
};

/** A request's server span and the context to serve it in (its span active). */
export interface RequestSpan {
  span: Span;
  context: Context;
}

/**
 * A server span for a kubelet API request about a pod (logs, exec, attach, port-forward), named
 * `GET /containerLogs/{namespace}/{pod}/{container}` after the HTTP conventions, in the caller's
 * trace when the request carries a `traceparent`; undefined for other routes. The span lasts until
 * the response (or the upgraded stream) ends: `endRequestSpan`.
 */
export function startRequestSpan(req: IncomingMessage, route: RouteLookup): RequestSpan | undefined {
  const template = route.name && TRACED_ROUTES[route.name];
  if (!template || !route.name) return undefined;
  const method = req.method ?? 'GET';
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const span = coreTracer.startSpan(`${method} ${template}`, { kind: SpanKind.SERVER }, parent);
  if (span.isRecording()) {
    const { namespace, pod, container } = route.params;
    span.setAttributes({
      'http.request.method': method,
      'http.route': template,
      'url.path': (req.url ?? '/').split('?')[0]!,
      'client.address': req.socket.remoteAddress ?? '',
      'user_agent.original': req.headers['user-agent'] ?? '',
    });
    if (namespace) span.setAttribute(SpanAttribute.K8S_NAMESPACE_NAME, namespace);
    if (pod) span.setAttribute(SpanAttribute.K8S_POD_NAME, pod);
    if (container) span.setAttribute(SpanAttribute.K8S_CONTAINER_NAME, container);
    const upgrade = req.headers.upgrade;
    if (upgrade) span.setAttribute(CoreAttribute.STREAM_PROTOCOL, upgrade);
  }
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends a request's span with the status it was answered with (101 for an upgraded stream); 5xx is an error. */
export function endRequestSpan(span: Span, statusCode: number): void {
  if (span.isRecording()) {
    span.setAttribute('http.response.status_code', statusCode);
    if (statusCode >= 500) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute(SpanAttribute.ERROR_TYPE, String(statusCode));
    }
  }
  span.end();
}
