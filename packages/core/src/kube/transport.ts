import type { Logger, MetricCounter } from '@vkubelet/provider-kit';
import { createSecureContext } from 'node:tls';
import type { Dispatcher } from 'undici';

import type { ClusterAccess, TlsMaterial } from './kubeconfig/index.js';
import { requestLabels } from './request-labels.js';
import type { TokenBucket } from './token-bucket.js';
import { Agent, proxyAgent, request as sendRequest } from './undici-parts.js';

export interface TransportRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/**
 * Sends every request of a process: waits for the shared token bucket, adds credentials from the
 * process's ClusterAccess, and reuses one undici dispatcher until the TLS material changes, e.g.
 * when the node's client certificate is rotated on disk or an exec plugin hands out a new one.
 */
export class KubeTransport {
  private readonly access: ClusterAccess;
  private readonly bucket: TokenBucket;
  private readonly requests: MetricCounter;
  private readonly logger: Logger;
  private readonly userAgent: string;
  private dispatcher: Dispatcher | undefined;
  private tls: TlsMaterial | undefined;

  constructor(
    access: ClusterAccess,
    bucket: TokenBucket,
    requests: MetricCounter,
    logger: Logger,
    userAgent: string,
  ) {
    this.access = access;
    this.bucket = bucket;
    this.requests = requests;
    this.logger = logger;
    this.userAgent = userAgent;
  }

  /** The API server's base URL. */
  get server(): string {
    return this.access.server;
  }

  /**
   * Sends one request. The caller reads or destroys `body`, which frees the connection. undici's
   * `request` rather than `fetch`: fetch costs more CPU per request (WHATWG streams and signals), and
   * it cannot keep the connection of a DELETE with a body (DeleteOptions), which undici closes by
   * default; the API server handles such bodies fine, so `reset: false` keeps the connection.
   */
  async send(request: TransportRequest): Promise<Dispatcher.ResponseData> {
    await this.bucket.take(request.signal);
    const { verb, resource } = requestLabels(request.method, request.url.pathname, request.url.searchParams);
    const credentials = await this.access.credentials();
    try {
      const response = await sendRequest(this.dispatcherFor(credentials.tls), {
        origin: request.url.origin,
        path: `${request.url.pathname}${request.url.search}`,
        method: request.method,
        headers: {
          'user-agent': this.userAgent,
          accept: 'application/json',
          ...credentials.headers,
          ...request.headers,
        },
        body: request.body,
        signal: request.signal,
        reset: false,
      });
      this.requests.add(1, { verb, resource, code: String(response.statusCode) });
      if (response.statusCode === 401) this.access.rejected(credentials);
      return response;
    } catch (err) {
      this.requests.add(1, { verb, resource, code: '<error>' });
      throw err;
    }
  }

  async close(): Promise<void> {
    const dispatcher = this.dispatcher;
    this.dispatcher = undefined;
    this.tls = undefined;
    await dispatcher?.close();
  }

  private dispatcherFor(tls: TlsMaterial): Dispatcher {
    if (this.dispatcher !== undefined && this.tls !== undefined && sameTls(this.tls, tls)) {
      return this.dispatcher;
    }
    const previous = this.dispatcher;
    this.dispatcher = this.createDispatcher(tls);
    this.tls = tls;
    if (previous) {
      this.logger.info('TLS material changed; using a new connection pool');
      // close() lets requests in flight (watches) finish on the old pool.
      previous.close().catch((err: unknown) => this.logger.warn('closing old dispatcher failed', { err }));
    }
    return this.dispatcher;
  }

  private createDispatcher(tls: TlsMaterial): Dispatcher {
    const connect = {
      // One context for every connection of the pool: given ca/cert/key instead, Node parses them
      // again for each new socket, which under load cost more CPU than the requests themselves.
      secureContext: createSecureContext({
        ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
        ...(tls.cert !== undefined ? { cert: tls.cert, key: tls.key } : {}),
      }),
      ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
      rejectUnauthorized: !tls.insecureSkipVerify,
      keepAlive: true,
      keepAliveInitialDelay: 30_000,
    };
    // HTTP/1.1 only: undici's HTTP/2 client raises an uncaught "other side closed" when the API server
    // goes away under an idle session (seen when the API server restarts or stops).
    const allowH2 = false;
    // Idle connections stay 30 s (undici's default is 4 s; the API server keeps them 90 s), so bursts
    // of writes reuse them instead of opening and closing a TLS connection each time.
    const pool = { allowH2, keepAliveTimeout: 30_000 };
    const proxy = this.access.proxyUrl;
    if (proxy !== undefined) {
      const ProxyAgent = proxyAgent();
      return new ProxyAgent({ uri: proxy, requestTls: connect, ...pool });
    }
    return new Agent({ connect, ...pool });
  }
}

function sameTls(a: TlsMaterial, b: TlsMaterial): boolean {
  return (
    a.ca === b.ca &&
    a.cert === b.cert &&
    a.key === b.key &&
    a.insecureSkipVerify === b.insecureSkipVerify &&
    a.serverName === b.serverName
  );
}
