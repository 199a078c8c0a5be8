import { SpanKind, type Attributes, type Span } from '@opentelemetry/api';

import { SpanAttribute } from '../tracing/attributes.js';
import { inSpan, providerKitTracer } from '../tracing/spans.js';

/** Runs one request to a backend; see `backendCaller`. */
export type BackendCaller = <T>(operation: string, request: () => Promise<T>) => Promise<T>;

export interface BackendCallerOptions {
  /** The backend, as traces and logs name it: `aws.ecs`, `cri`, `azure.aci`, `nomad`. */
  system: string;
  /** Turns a client's error into an errdefs error (NotFound, InvalidInput, Transient, ...). */
  toError?: (error: unknown, operation: string) => unknown;
  /**
   * Attributes of every request's span, after the semantic conventions of the backend's protocol:
   * `{ 'rpc.system': 'aws-api', 'rpc.service': 'ECS' }`, `{ 'rpc.system': 'grpc' }`.
   */
  attributes?: Attributes;
  /**
   * Attributes read from what a request returned or threw (the client's own error, before
   * `toError`): an AWS request ID, the attempts the SDK's retries took. Called only for sampled spans.
   */
  outcomeAttributes?: (outcome: unknown) => Attributes | undefined;
}

/**
 * The one door every request a provider makes to its backend goes through: `await call('RunTask',
 * () => ecs.send(...))`. Each request is a client span named `<system> <operation>` (with
 * `rpc.method` = operation), a child of whatever the provider was doing: core's `createPod` call,
 * the runtime's refresh pass. A failure is recorded on the span and converted with `toError`.
 */
export function backendCaller(options: BackendCallerOptions): BackendCaller {
  const { system, toError, outcomeAttributes } = options;
  const annotate = (span: Span, outcome: unknown): void => {
    if (!outcomeAttributes || !span.isRecording()) return;
    const attributes = outcomeAttributes(outcome);
    if (attributes) span.setAttributes(attributes);
  };
  return <T>(operation: string, request: () => Promise<T>): Promise<T> =>
    inSpan(providerKitTracer, `${system} ${operation}`, { kind: SpanKind.CLIENT }, async span => {
      if (span.isRecording()) {
        span.setAttribute(SpanAttribute.BACKEND_SYSTEM, system);
        span.setAttribute(SpanAttribute.RPC_METHOD, operation);
        if (options.attributes) span.setAttributes(options.attributes);
      }
      try {
        const result = await request();
        annotate(span, result);
        return result;
      } catch (error) {
        annotate(span, error);
        throw toError ? toError(error, operation) : error;
      }
    });
}
