import type { RequestOptions } from 'node:https';

import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger, MetricCounter } from '@vkubelet/provider-kit';
import { Agent, ProxyAgent, fetch, type Dispatcher, type Response } from 'undici';

import { requestLabels } from './request-labels.js';
import type { TokenBucket } from './token-bucket.js';

export interface TransportRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** TLS material a dispatcher was built from; a change (a rotated client certificate) means a new one. */
interface TlsMaterial {
  ca: unknown;
  cert: unknown;
  key: unknown;
  rejectUnauthorized: boolean | undefined;
  servername: string | undefined;
}

/**
 * Sends every request of a process: waits for the shared token bucket, adds credentials from the one
 * KubeConfig, and reuses one undici dispatcher (client-node builds a new one per request) until the
 * TLS material changes, e.g. when the node's client certificate is rotated on disk.
 */
export class KubeTransport {
  readonly #kubeConfig: KubeConfig;
  readonly #bucket: TokenBucket;
  readonly #requests: MetricCounter;
  readonly #logger: Logger;
  readonly #userAgent: string;
  #dispatcher: Dispatcher | undefined;
  #tls: TlsMaterial | undefined;

  constructor(
    kubeConfig: KubeConfig,
    bucket: TokenBucket,
    requests: MetricCounter,
    logger: Logger,
    userAgent: string,
  ) {
    this.#kubeConfig = kubeConfig;
    this.#bucket = bucket;
    this.#requests = requests;
    this.#logger = logger;
    this.#userAgent = userAgent;
  }

  /** The API server's base URL from the current context. */
  get server(): string {
    const cluster = this.#kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    return cluster.server.replace(/\/+$/, '');
  }

  async send(request: TransportRequest): Promise<Response> {
    await this.#bucket.take(request.signal);
    const { verb, resource } = requestLabels(request.method, request.url.pathname, request.url.searchParams);
    const { headers, dispatcher } = await this.#credentials();
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: {
          'user-agent': this.#userAgent,
          accept: 'application/json',
          ...headers,
          ...request.headers,
        },
        body: request.body,
        signal: request.signal,
        dispatcher,
      });
      this.#requests.add(1, { verb, resource, code: String(response.status) });
      return response;
    } catch (err) {
      this.#requests.add(1, { verb, resource, code: '<error>' });
      throw err;
    }
  }

  async close(): Promise<void> {
    const dispatcher = this.#dispatcher;
    this.#dispatcher = undefined;
    this.#tls = undefined;
    await dispatcher?.close();
  }

  async #credentials(): Promise<{ headers: Record<string, string>; dispatcher: Dispatcher }> {
    const options: RequestOptions = {};
    // Runs the kubeconfig's authenticators (token files, exec plugins) and reads cert files afresh.
    await this.#kubeConfig.applyToHTTPSOptions(options);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined) headers[name.toLowerCase()] = String(value);
    }
    if (options.auth) headers['authorization'] = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    const tls: TlsMaterial = {
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      rejectUnauthorized: options.rejectUnauthorized,
      servername: options.servername ?? undefined,
    };
    if (this.#dispatcher === undefined || this.#tls === undefined || !sameTls(this.#tls, tls)) {
      const previous = this.#dispatcher;
      this.#dispatcher = this.#createDispatcher(tls);
      this.#tls = tls;
      if (previous) {
        this.#logger.info('TLS material changed; using a new connection pool');
        // close() lets requests in flight (watches) finish on the old pool.
        previous.close().catch((err: unknown) => this.#logger.warn('closing old dispatcher failed', { err }));
      }
    }
    return { headers, dispatcher: this.#dispatcher };
  }

  #createDispatcher(tls: TlsMaterial): Dispatcher {
    const agentOptions = Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined));
    const plan = this.#kubeConfig.createDispatcherOptions(this.#kubeConfig.getCurrentCluster(), agentOptions);
    // HTTP/1.1 only: undici's HTTP/2 client raises an uncaught "other side closed" when the API server
    // goes away under an idle session (seen when the API server restarts or stops).
    const allowH2 = false;
    switch (plan.type) {
      case 'agent':
        return new Agent({ connect: plan.connect, allowH2 });
      case 'proxy':
        return new ProxyAgent({ uri: plan.uri, requestTls: plan.requestTls, connect: plan.connect, allowH2 });
      case 'none':
        return new Agent({ connect: { keepAlive: true, keepAliveInitialDelay: 30_000 }, allowH2 });
      default:
        throw new Error(`kubeconfig proxy type ${plan.type} is not supported by vkubelet`);
    }
  }
}

function sameTls(a: TlsMaterial, b: TlsMaterial): boolean {
  return (
    sameBytes(a.ca, b.ca) &&
    sameBytes(a.cert, b.cert) &&
    sameBytes(a.key, b.key) &&
    a.rejectUnauthorized === b.rejectUnauthorized &&
    a.servername === b.servername
  );
}

function sameBytes(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}
