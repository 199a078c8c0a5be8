import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

import { context } from '@opentelemetry/api';

import {
  errorMessage,
  noopLogger,
  noopMeter,
  type Logger,
  type MetricCounter,
  type MetricHistogram,
} from '@vkubelet/provider-kit';

import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_STREAM_CREATION_TIMEOUT_MS,
  servePortForward,
  serveRemoteCommand,
} from '../streaming/index.js';

import { createAuthGate, type AuthGate } from './auth/gate.js';
import { statusCodeOf, writeTextError } from './errors.js';
import { handleRequest, type HandlerContext } from './handlers.js';
import { MetricsServer } from './metrics-server.js';
import type { KubeletServerOptions } from './options.js';
import { endRequestSpan, startRequestSpan } from './request-span.js';
import { KubeletRoutes, type RouteLookup } from './routes.js';
import type { StreamingOptions, StreamingProtocols } from './streaming-contract.js';
import { readCaBundle } from './tls/file-source.js';
import { watchFiles } from './tls/file-watch.js';
import { certificateSource } from './tls/index.js';
import type { CertificateSource, ServingCredentials } from './tls/types.js';
import { handleUpgrade, rejectUpgrade, type UpgradeContext } from './upgrade.js';

const DEFAULT_PORT = 10250;
/** The SPDY/WebSocket layer of src/streaming, used unless a test or embedder swaps it. */
const defaultProtocols: StreamingProtocols = { serveRemoteCommand, servePortForward };
/** Upstream's only server timeout (ReadHeaderTimeout); log streams and sessions run for as long as they like. */
const HEADERS_TIMEOUT_MS = 30_000;

export interface StartedKubeletServer {
  port: number;
  /** Port of the plain-HTTP metrics server, when one was configured. */
  metricsPort?: number;
}

/**
 * The kubelet HTTPS API of a virtual node: what the apiserver calls for `kubectl logs`, `exec`,
 * `attach`, `port-forward`, `top` (through metrics-server) and `get --raw .../proxy/...`. Every
 * request is authenticated and authorized first, then routed to the provider.
 */
export class KubeletServer {
  private readonly logger: Logger;
  private readonly routes = new KubeletRoutes();
  private readonly shutdown = new AbortController();
  private readonly sockets = new Set<Socket>();
  private readonly requests: MetricCounter;
  private readonly latency: MetricHistogram;
  private server: Server | undefined;
  private gate: AuthGate | undefined;
  private certificates: CertificateSource | undefined;
  private metricsServer: MetricsServer | undefined;
  private clientCa: string | undefined;
  private credentials: ServingCredentials | undefined;
  private stopWatchingClientCa: (() => void) | undefined;
  private listening: Promise<number> | undefined;
  private metricsListening: Promise<number> | undefined;

  private constructor(private readonly options: KubeletServerOptions) {
    if (!options.nodeName) throw new TypeError('KubeletServer: nodeName is required');
    const port = options.listen?.port ?? DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new TypeError(`KubeletServer: listen.port must be an integer in 0..65535, got ${port}`);
    }
    const handshake = options.tlsHandshakeTimeoutMs;
    if (handshake !== undefined && !(Number.isFinite(handshake) && handshake > 0)) {
      throw new TypeError(
        `KubeletServer: tlsHandshakeTimeoutMs must be a positive number of milliseconds, got ${handshake}`,
      );
    }
    for (const key of ['idleTimeoutMs', 'creationTimeoutMs'] as const) {
      const value = options.streaming?.[key];
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
        throw new TypeError(
          `KubeletServer: streaming.${key} must be a positive number of milliseconds, got ${value}`,
        );
      }
    }
    this.logger = (options.logger ?? noopLogger).child({ component: 'kubelet-api' });
    const meter = options.metrics?.meter ?? noopMeter;
    this.requests = meter.counter(
      'vkubelet_kubelet_api_requests_total',
      'Kubelet API requests by route and status code.',
      ['route', 'code'],
    );
    this.latency = meter.histogram(
      'vkubelet_kubelet_api_request_duration_seconds',
      'Time to answer a kubelet API request (until the end of the stream for logs).',
      ['route'],
    );
  }

  static create(options: KubeletServerOptions): KubeletServer {
    return new KubeletServer(options);
  }

  /** True once a serving certificate is in place (at once for files and self-signed; after approval for CSR). */
  get servingCertificateReady(): boolean {
    return this.credentials !== undefined;
  }

  /**
   * Loads the client CA and the serving certificate and binds the port, so that bad files and a
   * busy port fail here and the real port (for `port: 0`) is known before the server serves.
   * Requests are answered 503 until `start()`. Returns the port; calling it again returns it too.
   */
  async listen(): Promise<number> {
    if (this.listening) return this.listening;
    this.listening = this.bind();
    try {
      return await this.listening;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Listens (if `listen()` was not called) and serves: authentication, routes, the metrics port. */
  async start(): Promise<StartedKubeletServer> {
    if (this.gate) throw new Error('KubeletServer already started');
    const port = await this.listen();
    const metricsPort = await this.startMetrics();
    this.gate = createAuthGate(
      this.options.nodeName,
      this.options.auth,
      this.clientCa !== undefined,
      this.logger,
    );
    return metricsPort === undefined ? { port } : { port, metricsPort };
  }

  /**
   * Serves the metrics port (`/metrics`, `/healthz`) alone, the kubelet API still answering 503:
   * what a standby agent serves while another holds the leader lease. `start()` calls it too.
   */
  async startMetrics(): Promise<number | undefined> {
    const { listen, registry } = this.options.metrics ?? {};
    if (!listen || !registry) return undefined;
    if (!this.metricsListening) {
      this.metricsServer = new MetricsServer(registry, this.logger);
      this.metricsListening = this.metricsServer.listen(listen.host ?? '0.0.0.0', listen.port ?? 10255);
    }
    return this.metricsListening;
  }

  private async bind(): Promise<number> {
    const { auth } = this.options;
    this.clientCa = auth.clientCaFile ? await readCaBundle(auth.clientCaFile) : undefined;

    const server = createServer({
      minVersion: 'TLSv1.2',
      // Ask for a certificate but let the authenticator decide, so that a bearer token still works
      // without one and a bad certificate is a 401 rather than a TLS alert.
      requestCert: this.clientCa !== undefined,
      rejectUnauthorized: false,
      ca: this.clientCa,
      // Node's default is 120 s; a connection that never completes its handshake gets as long as
      // one that never sends its request headers (Go's server bounds both by ReadHeaderTimeout).
      handshakeTimeout: this.options.tlsHandshakeTimeoutMs ?? HEADERS_TIMEOUT_MS,
    });
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.requestTimeout = 0;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.onRequest(req, res));
    server.on(
      'upgrade',
      (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.onUpgrade(req, socket, head),
    );
    server.on('tlsClientError', err => this.logger.debug('TLS handshake failed', { err: err.message }));
    this.server = server;

    if (auth.clientCaFile) this.watchClientCa(auth.clientCaFile);
    this.certificates = certificateSource(this.options, this.logger);
    await this.certificates.start(credentials => this.useCredentials(credentials));

    const host = this.options.listen?.host ?? '0.0.0.0';
    const requestedPort = this.options.listen?.port ?? DEFAULT_PORT;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(
          new Error(`kubelet API cannot listen on ${host}:${requestedPort}: ${err.message}`, { cause: err }),
        );
      server.once('error', onError);
      server.listen(requestedPort, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    this.logger.info('kubelet API listening', { host, port });
    return port;
  }

  async close(): Promise<void> {
    this.certificates?.stop();
    this.stopWatchingClientCa?.();
    this.shutdown.abort(new Error('kubelet API server closing'));
    await this.metricsServer?.close();
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>(resolve => server.close(() => resolve()));
    // Upgraded sockets (exec, port-forward) are no longer the HTTP server's: end them too.
    for (const socket of this.sockets) socket.destroy();
    server.closeAllConnections();
    await closed;
  }

  private useCredentials(credentials: ServingCredentials): void {
    this.credentials = credentials;
    this.applySecureContext();
  }

  /** New connections get the current certificate and client CA; established ones keep theirs. */
  private applySecureContext(): void {
    if (!this.credentials) return;
    this.server?.setSecureContext({ ...this.credentials, ca: this.clientCa, minVersion: 'TLSv1.2' });
  }

  /** The client CA is reloaded like the serving certificate, so CA rotation needs no restart. */
  private watchClientCa(file: string): void {
    const reload = (): void => {
      readCaBundle(file).then(
        pem => {
          this.clientCa = pem;
          this.applySecureContext();
          this.logger.info('client CA reloaded', { file });
        },
        (err: unknown) =>
          this.logger.warn('client CA changed but does not load; keeping the current one', {
            err: errorMessage(err),
          }),
      );
    };
    this.stopWatchingClientCa = watchFiles([file], reload, this.logger);
  }

  private get context(): UpgradeContext {
    const streaming: StreamingOptions = {
      idleTimeoutMs: this.options.streaming?.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      creationTimeoutMs: this.options.streaming?.creationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS,
      logger: this.logger,
    };
    const provider = this.options.provider;
    const handler: HandlerContext = {
      provider: typeof provider === 'function' ? provider() : provider,
      listPods: this.options.listPods,
      serverSignal: this.shutdown.signal,
    };
    return { ...handler, protocols: this.options.streaming?.protocols ?? defaultProtocols, streaming };
  }

  /** The request's URL and route (found before admission, so that its span covers authorization too). */
  private route(req: IncomingMessage): { url: URL; route: RouteLookup } {
    const url = new URL(req.url ?? '/', 'https://kubelet.invalid');
    return { url, route: this.routes.lookup(req.method ?? 'GET', url.pathname) };
  }

  /** Authenticates and authorizes a routed request; answers the status of whatever fails first. */
  private async admit(
    req: IncomingMessage,
    { url, route }: { url: URL; route: RouteLookup },
  ): Promise<{ route: RouteLookup; query: URLSearchParams } | { statusCode: number; message: string }> {
    const gate = this.gate;
    if (!gate) return { statusCode: 503, message: 'server not started' };
    const verdict = await gate.check(req, url.pathname);
    if (!verdict.ok) return verdict;
    return { route, query: url.searchParams };
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let routeName = 'none';
    const routed = this.route(req);
    const traced = startRequestSpan(req, routed.route);
    res.once('close', () => {
      this.requests.add(1, { route: routeName, code: String(res.statusCode) });
      this.latency.observe((performance.now() - started) / 1000, { route: routeName });
      if (traced) endRequestSpan(traced.span, res.statusCode);
    });
    if (traced)
      return context.with(traced.context, () =>
        this.serveRequest(req, res, routed, name => (routeName = name)),
      );
    return this.serveRequest(req, res, routed, name => (routeName = name));
  }

  private async serveRequest(
    req: IncomingMessage,
    res: ServerResponse,
    routed: { url: URL; route: RouteLookup },
    admittedAs: (route: string) => void,
  ): Promise<void> {
    try {
      const admitted = await this.admit(req, routed);
      if ('statusCode' in admitted) return writeTextError(res, admitted.statusCode, admitted.message);
      const { route, query } = admitted;
      if (!route.name) {
        const message = route.statusCode === 404 ? '404 request not found' : '405 method not allowed';
        return writeTextError(res, route.statusCode, message);
      }
      admittedAs(route.name);
      await handleRequest(this.context, route, query, res);
    } catch (err) {
      this.fail(res, req, err);
    }
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', err => this.logger.debug('upgraded connection error', { err: err.message }));
    const routed = this.route(req);
    const traced = startRequestSpan(req, routed.route);
    // The span lasts as long as the stream: until the connection closes.
    let outcome = 101;
    if (traced) socket.once('close', () => endRequestSpan(traced.span, outcome));
    const reject = (statusCode: number, message: string): void => {
      outcome = statusCode;
      rejectUpgrade(socket, statusCode, message);
    };
    if (traced) {
      return context.with(traced.context, () => this.serveUpgrade(req, socket, head, routed, reject));
    }
    return this.serveUpgrade(req, socket, head, routed, reject);
  }

  private async serveUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    routed: { url: URL; route: RouteLookup },
    reject: (statusCode: number, message: string) => void,
  ): Promise<void> {
    try {
      const admitted = await this.admit(req, routed);
      if ('statusCode' in admitted) return reject(admitted.statusCode, admitted.message);
      const { route, query } = admitted;
      if (!route.name) {
        return reject(
          route.statusCode,
          route.statusCode === 404 ? '404 request not found' : '405 method not allowed',
        );
      }
      this.requests.add(1, { route: route.name, code: '101' });
      await handleUpgrade(this.context, route, query, req, socket, head);
    } catch (err) {
      const statusCode = statusCodeOf(err);
      if (statusCode >= 500)
        this.logger.error('kubelet API upgrade failed', { url: req.url, err: errorMessage(err) });
      if (socket.writable) reject(statusCode, errorMessage(err));
      else socket.destroy();
    }
  }

  private fail(res: ServerResponse, req: IncomingMessage, err: unknown): void {
    const statusCode = statusCodeOf(err);
    if (statusCode >= 500)
      this.logger.error('kubelet API request failed', { url: req.url, err: errorMessage(err) });
    writeTextError(res, statusCode, errorMessage(err));
  }
}
