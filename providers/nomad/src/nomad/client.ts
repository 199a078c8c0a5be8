import { createSecureContext } from 'node:tls';
import type { Readable } from 'node:stream';

import { dialWebSocket } from '@vkubelet/provider-kit/streaming';
import { Agent, type Dispatcher } from 'undici';

/** An open WebSocket, as provider-kit's dialer gives it. */
export type ExecSocket = Awaited<ReturnType<typeof dialWebSocket>>;

/** How to reach a Nomad agent, as the Nomad CLI reads it from NOMAD_* variables. */
export interface NomadConnection {
  /** `http(s)://host:port` (NOMAD_ADDR). */
  address: string;
  /** ACL token (NOMAD_TOKEN), sent as `X-Nomad-Token`. */
  token?: string | undefined;
  /** Namespace of every request (NOMAD_NAMESPACE). */
  namespace: string;
  /** Region of every request (NOMAD_REGION); the agent's own when unset. */
  region?: string | undefined;
  /** PEM contents (not paths) for HTTPS: the CA, and a client certificate and key for mutual TLS. */
  tls?: {
    ca?: string | undefined;
    cert?: string | undefined;
    key?: string | undefined;
    serverName?: string | undefined;
    skipVerify?: boolean | undefined;
  };
}

/** A Nomad error answer: the status and the plain-text message Nomad sends as the body. */
export class NomadApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path}: ${status} ${body.trim() || '(no message)'}`);
    this.name = 'NomadApiError';
  }
}

export interface RequestOptions {
  signal: AbortSignal;
  /** Query parameters besides namespace and region. */
  query?: Record<string, string | number | boolean | undefined>;
}

export interface BlockingOptions extends RequestOptions {
  /** Answer only once the data's index exceeds this (a blocking query); 0 answers at once. */
  index?: number;
  /** How long Nomad may hold a blocking query, in ms (it adds up to 1/16 of jitter). */
  waitMs?: number;
}

/** A query answer with the index of the data it reflects (`X-Nomad-Index`). */
export interface QueryResult<T> {
  body: T;
  index: number;
}

/** Extra time the transport allows on top of a blocking query's wait and Nomad's jitter. */
const BLOCKING_GRACE_MS = 30_000;
const MAX_WAIT_MS = 10 * 60_000;

/**
 * A small Nomad HTTP API client on undici: the token, namespace and region on every request, HTTPS
 * with mutual TLS when configured, blocking queries, streamed answers (logs) and the exec
 * WebSocket. Errors are NomadApiError with Nomad's status and message; map them with
 * `toProviderError`. Requests abort with their signal.
 */
export class NomadClient {
  private readonly dispatcher: Agent;
  private readonly origin: string;
  private readonly basePath: string;

  constructor(private readonly connection: NomadConnection) {
    const url = new URL(connection.address);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    const tls = connection.tls;
    this.dispatcher = new Agent({
      connect: {
        ...(url.protocol === 'https:'
          ? {
              secureContext: createSecureContext({
                ...(tls?.ca ? { ca: tls.ca } : {}),
                ...(tls?.cert ? { cert: tls.cert, key: tls.key } : {}),
              }),
              rejectUnauthorized: !tls?.skipVerify,
              ...(tls?.serverName ? { servername: tls.serverName } : {}),
            }
          : {}),
        keepAlive: true,
      },
      keepAliveTimeout: 30_000,
      // Blocking queries hold the answer for up to 10 minutes plus jitter; log streams send
      // heartbeats, but Nomad may pause a quiet one longer than undici's 5-minute default.
      headersTimeout: MAX_WAIT_MS + MAX_WAIT_MS / 16 + BLOCKING_GRACE_MS,
      bodyTimeout: MAX_WAIT_MS + BLOCKING_GRACE_MS,
    });
  }

  get namespace(): string {
    return this.connection.namespace;
  }

  get region(): string | undefined {
    return this.connection.region;
  }

  /** A read; with `index` a blocking query that waits for a change. */
  async get<T>(path: string, options: BlockingOptions): Promise<QueryResult<T>> {
    const query = { ...options.query };
    if (options.index) {
      query['index'] = options.index;
      if (options.waitMs !== undefined) query['wait'] = `${Math.min(options.waitMs, MAX_WAIT_MS)}ms`;
    }
    const response = await this.send('GET', path, { ...options, query });
    const body = (await response.body.json()) as T;
    const index = Number(response.headers['x-nomad-index'] ?? 0);
    return { body, index: Number.isFinite(index) ? index : 0 };
  }

  /** A write (PUT or POST) with a JSON body. */
  async write<T>(method: 'PUT' | 'POST', path: string, body: unknown, options: RequestOptions): Promise<T> {
    const response = await this.send(method, path, options, JSON.stringify(body));
    return (await response.body.json()) as T;
  }

  async delete<T>(path: string, options: RequestOptions): Promise<T> {
    const response = await this.send('DELETE', path, options);
    return (await response.body.json()) as T;
  }

  /** A streamed answer (logs): the body as it arrives; destroy it or abort the signal to stop. */
  async stream(path: string, options: RequestOptions): Promise<Readable> {
    const response = await this.send('GET', path, options);
    return response.body;
  }

  /** Opens `GET <path>` as a WebSocket (exec), with the token and TLS of every request. */
  dial(path: string, options: RequestOptions): Promise<ExecSocket> {
    const tls = this.connection.tls;
    return dialWebSocket(`${this.origin}${this.pathWithQuery(path, options.query)}`, {
      signal: options.signal,
      headers: this.connection.token ? { 'X-Nomad-Token': this.connection.token } : {},
      clientOptions: {
        ...(tls?.ca ? { ca: tls.ca } : {}),
        ...(tls?.cert ? { cert: tls.cert, key: tls.key } : {}),
        ...(tls?.serverName ? { servername: tls.serverName } : {}),
        rejectUnauthorized: !tls?.skipVerify,
      },
    });
  }

  async close(): Promise<void> {
    await this.dispatcher.destroy();
  }

  private pathWithQuery(path: string, query: RequestOptions['query'] = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) params.set(key, String(value));
    }
    params.set('namespace', this.connection.namespace);
    if (this.connection.region) params.set('region', this.connection.region);
    return `${this.basePath}${path}?${params.toString()}`;
  }

  private async send(
    method: string,
    path: string,
    options: RequestOptions,
    body?: string,
  ): Promise<Dispatcher.ResponseData> {
    const response = await this.dispatcher.request({
      origin: this.origin,
      path: this.pathWithQuery(path, options.query),
      method,
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.connection.token ? { 'x-nomad-token': this.connection.token } : {}),
      },
      ...(body !== undefined ? { body } : {}),
      signal: options.signal,
    });
    if (response.statusCode >= 400) {
      const text = await response.body.text().catch(() => '');
      throw new NomadApiError(response.statusCode, text, method, path);
    }
    return response;
  }
}
