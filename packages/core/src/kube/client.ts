import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import {
  noopLogger,
  noopMeter,
  recordSpanError,
  type Logger,
  type MetricMeter,
} from '@vkubelet/provider-kit';

import { coreTracer } from '../tracing/tracer.js';

import type { WriteFence } from '../leader/write-fence.js';
import { KubeApiError, parseStatus } from './errors.js';
import type { ClusterAccess } from './kubeconfig/index.js';
import { requestLabels } from './request-labels.js';
import { TokenBucket } from './token-bucket.js';
import { KubeTransport } from './transport.js';
import { readWatchStream, type WatchEvent } from './watch-stream.js';

export {
  isKubeAlreadyExists,
  isKubeConflict,
  isKubeForbidden,
  isKubeGone,
  isKubeNotFound,
  KubeApiError,
} from './errors.js';
export type { WatchEvent } from './watch-stream.js';

export interface KubeClientOptions {
  /**
   * Server and credentials, e.g. `loadKubeconfig(path)`, `inClusterAccess()` or `clusterAccess({...})`.
   * One per process: it caches credential files and exec plugin answers.
   */
  kubeConfig: ClusterAccess;
  /** Sustained requests per second of the whole process (client-go's default for kubelets is 50). */
  qps?: number;
  /** Requests allowed at once above `qps` after a quiet period. */
  burst?: number;
  metrics?: MetricMeter;
  logger?: Logger;
  userAgent?: string;
}

export type QueryValue = string | number | boolean | undefined;
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** Serialized with JSON.stringify unless it is a string already. */
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export type PatchOptions = Pick<RequestOptions, 'query' | 'signal'>;

export type PatchType = 'strategic' | 'merge' | 'json' | 'apply';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Reads; everything else changes state on the server and goes through the write fence. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The Kubernetes client of a process: raw JSON requests, patches and watches (object types come from
 * `@kubernetes/client-node`, as types only: its generated API code costs ~90 MB of RSS), all sent
 * through one connection pool and one client-side token bucket (`qps`/`burst`), and counted in
 * `vkubelet_api_requests_total{verb,resource,code}`.
 */
export class KubeClient {
  readonly kubeConfig: ClusterAccess;
  private readonly transport: KubeTransport;
  private readonly fence: WriteFence | undefined;

  private constructor(kubeConfig: ClusterAccess, transport: KubeTransport, fence?: WriteFence) {
    this.kubeConfig = kubeConfig;
    this.transport = transport;
    this.fence = fence;
  }

  static create(options: KubeClientOptions): KubeClient {
    const { kubeConfig, qps = 50, burst = 100 } = options;
    if (typeof kubeConfig?.credentials !== 'function') {
      throw new TypeError('KubeClient: kubeConfig must be a ClusterAccess, e.g. loadKubeconfig(path)');
    }
    const requests = (options.metrics ?? noopMeter).counter(
      'vkubelet_api_requests_total',
      'Requests sent to the Kubernetes API server, by verb, resource and HTTP code.',
      ['verb', 'resource', 'code'],
    );
    const logger = (options.logger ?? noopLogger).child({ component: 'kube-client' });
    const transport = new KubeTransport(
      kubeConfig,
      new TokenBucket(qps, burst),
      requests,
      logger,
      options.userAgent ?? 'vkubelet',
    );
    return new KubeClient(kubeConfig, transport);
  }

  /**
   * The same client (one connection pool and rate) whose writes pass `fence`: refused while it is
   * closed, aborted in flight when it closes. Reads and watches are never fenced. Closing the
   * fenced client closes nothing; close the original.
   */
  withWriteFence(fence: WriteFence): KubeClient {
    return new KubeClient(this.kubeConfig, this.transport, fence);
  }

  /**
   * Send a request to `path` (e.g. `/api/v1/namespaces/x/pods`) and parse the JSON answer. Made
   * within a trace (a pod's status write, its delete), the request is a client span `PATCH
   * pods/status` and carries its `traceparent`, so an API server that traces joins the trace.
   */
  async requestJson<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const text = await this.traced(method, path, options, true);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * A write whose answer is not needed: like `requestJson`, but a successful answer's body is
   * discarded unread. A pod status patch or delete answers with the whole pod, several kilobytes of
   * JSON to decode and parse for nothing on a node writing hundreds a second. `patchType` makes the
   * body a patch of that type.
   */
  async write(
    method: string,
    path: string,
    options: RequestOptions & { patchType?: PatchType } = {},
  ): Promise<void> {
    const { patchType, ...rest } = options;
    await this.traced(
      method,
      path,
      patchType ? { ...rest, contentType: PATCH_CONTENT_TYPES[patchType] } : rest,
      false,
    );
  }

  /** `send`, as a client span when made within a trace. */
  private async traced(
    method: string,
    path: string,
    options: RequestOptions,
    read: boolean,
  ): Promise<string> {
    const url = this.url(path, options.query);
    if (!trace.getSpan(context.active())) return this.fenced(method, url, options, read);
    const { resource } = requestLabels(method, url.pathname, url.searchParams);
    return coreTracer.startActiveSpan(`${method} ${resource}`, { kind: SpanKind.CLIENT }, async span => {
      if (span.isRecording()) {
        span.setAttributes({
          'http.request.method': method,
          'url.full': url.href,
          'server.address': url.hostname,
          'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        });
      }
      try {
        return await this.fenced(method, url, options, read, span);
      } catch (err) {
        if (!(err instanceof KubeApiError)) recordSpanError(span, err);
        throw err;
      } finally {
        span.end();
      }
    });
  }

  /** `send`, through the write fence for a write when the client has one. */
  private async fenced(
    method: string,
    url: URL,
    options: RequestOptions,
    read: boolean,
    span?: Span,
  ): Promise<string> {
    const fence = this.fence;
    if (!fence || READ_METHODS.has(method))
      return this.send(method, url, options, options.signal, read, span);
    fence.check(`${method} ${url.pathname}`);
    // Aborted by the caller or by the fence closing, whichever comes first; the listeners go with
    // the request (AbortSignal.any would keep them as long as the fence lives).
    const controller = new AbortController();
    const sources = options.signal ? [options.signal, fence.signal] : [fence.signal];
    const onAbort = (event: Event): void => controller.abort((event.target as AbortSignal).reason);
    for (const source of sources) {
      if (source.aborted) controller.abort(source.reason);
      else source.addEventListener('abort', onAbort, { once: true });
    }
    try {
      return await this.send(method, url, options, controller.signal, read, span);
    } finally {
      for (const source of sources) source.removeEventListener('abort', onAbort);
    }
  }

  /** Sends a request; the answer's text, or '' when `read` is false and it succeeded. */
  private async send(
    method: string,
    url: URL,
    options: RequestOptions,
    signal: AbortSignal | undefined,
    read: boolean,
    span?: Span,
  ): Promise<string> {
    const headers: Record<string, string> = {};
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    if (span) propagation.inject(context.active(), headers);
    const response = await this.transport.send({ method, url, headers, body, signal });
    if (span?.isRecording()) {
      span.setAttribute('http.response.status_code', response.statusCode);
      if (response.statusCode >= 400) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute('error.type', String(response.statusCode));
      }
    }
    if (!isSuccess(response.statusCode)) {
      const text = await response.body.text();
      throw new KubeApiError(
        response.statusCode,
        parseStatus(text),
        `${method} ${url.pathname}`,
        false,
        text,
      );
    }
    if (read) return response.body.text();
    // Read to the end, so the connection goes back to the pool; the bytes are not decoded.
    await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
    return '';
  }

  /**
   * Patch the object at `path` with the given patch type (the server applies strategic merge keys).
   * The last argument is an AbortSignal or `{ query, signal }` (e.g. `fieldManager`, `force` for apply).
   */
  patch<T>(path: string, body: unknown, type: PatchType, options?: AbortSignal | PatchOptions): Promise<T> {
    const { query, signal } =
      options instanceof AbortSignal ? { query: undefined, signal: options } : (options ?? {});
    return this.requestJson<T>('PATCH', path, {
      query,
      signal,
      body,
      contentType: PATCH_CONTENT_TYPES[type],
    });
  }

  /**
   * Watch `path` (`watch=true` is added). Resolves when the server closes the stream (timeoutSeconds),
   * rejects with a `KubeApiError` for an HTTP error (`inStream: false`) or an ERROR event
   * (`inStream: true`, e.g. 410 Expired), or with the abort reason when `signal` aborts.
   */
  async watch<T>(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const url = this.url(path, { ...query, watch: true });
    const context = `watch ${url.pathname}`;
    const response = await this.transport.send({ method: 'GET', url, signal });
    if (!isSuccess(response.statusCode)) {
      const text = await response.body.text().catch(() => '');
      throw new KubeApiError(response.statusCode, parseStatus(text), context, false, text);
    }
    try {
      await readWatchStream(response.body, onEvent, context);
    } finally {
      // Stop the body (and drop the connection) when the reader or a handler threw.
      if (!response.body.destroyed) response.body.destroy();
    }
  }

  /** Close the connection pool; requests in flight finish first. A fenced copy closes nothing. */
  close(): Promise<void> {
    if (this.fence) return Promise.resolve();
    return this.transport.close();
  }

  private url(path: string, query: Query = {}): URL {
    if (!path.startsWith('/')) throw new TypeError(`KubeClient: path must start with '/', got ${path}`);
    const url = new URL(this.transport.server + path);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url;
  }
}
