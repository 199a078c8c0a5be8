import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Registry } from 'prom-client';

import type { Logger } from '@vkubelet/provider-kit';

// Not an ESM import: the namespace of node:http reads every export, and its lazy WebSocket ones make
// Node load its bundled undici (about 14 MB of RSS on Node 24) in a process that never uses it.
const { createServer } = process.getBuiltinModule('node:http');

/**
 * The process's own Prometheus metrics on a plain-HTTP port (`--metrics-addr`), apart from the
 * kubelet API so scraping needs no client certificate: `/metrics` (the prom-client registry) and
 * `/healthz`. Upstream parsed the flag but served nothing.
 */
export class MetricsServer {
  private readonly server: Server;

  constructor(
    private readonly registry: Pick<Registry, 'metrics' | 'contentType'>,
    private readonly logger: Logger,
  ) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res
          .writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' })
          .end('method not allowed\n');
        return;
      }
      if (path === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
        return;
      }
      if (path !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
        return;
      }
      this.registry.metrics().then(
        body => res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(body),
        (err: unknown) => {
          this.logger.error('rendering metrics failed', { err: String(err) });
          res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
        },
      );
    });
  }

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) =>
        reject(new Error(`metrics server cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}
