import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import { WebSocketServer } from 'ws';
import { errorMessage } from '@vkubelet/provider-kit';

import type { Acl } from '../acl.js';
import type { Cluster } from '../cluster.js';
import type { RequestFaults } from '../faults.js';
import type { AgentInfo, Reply, RequestContext } from './context.js';
import { HttpError, permissionDenied } from './errors.js';
import { parseExecRequest, runExec } from './exec.js';
import { allocRunner } from './routes/client.js';
import { Router, type Route } from './router.js';
import { allocationRoutes } from './routes/allocations.js';
import { clientRoutes } from './routes/client.js';
import { clusterRoutes } from './routes/cluster-info.js';
import { jobRoutes } from './routes/jobs.js';

const EXEC_ROUTE: Route = {
  methods: ['GET'],
  path: '/v1/client/allocation/:id/exec',
  scope: 'client',
  handler: () => Promise.resolve(undefined),
};

export interface ApiDependencies {
  cluster: Cluster;
  acl: Acl;
  faults: RequestFaults;
  agent: AgentInfo;
}

/** The token of a request: `X-Nomad-Token`, else `Authorization: Bearer`. */
function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers['x-nomad-token'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = req.headers.authorization;
  return authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
}

/**
 * The Nomad HTTP API: routes, then for each request the checks Nomad makes before serving it (an
 * injected fault, the region, a known leader, the ACL token), the handler, and the answer with
 * Nomad's headers. Exec sessions arrive as WebSocket upgrades.
 */
export class NomadApi {
  private readonly router = new Router([
    ...jobRoutes,
    ...allocationRoutes,
    ...clusterRoutes,
    ...clientRoutes,
  ]);
  private readonly execRouter = new Router([EXEC_ROUTE]);
  private readonly sockets = new WebSocketServer({ noServer: true });
  private readonly inFlight = new Set<AbortController>();

  constructor(private readonly deps: ApiDependencies) {}

  /** Aborts every open request (blocking queries, log streams) and exec session. */
  close(): void {
    for (const controller of this.inFlight) controller.abort();
    for (const client of this.sockets.clients) client.terminate();
    this.sockets.close();
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const controller = new AbortController();
    this.inFlight.add(controller);
    res.on('close', () => {
      controller.abort();
      this.inFlight.delete(controller);
    });
    this.serve(req, res, controller.signal).catch((err: unknown) => this.sendError(res, err));
  };

  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const controller = new AbortController();
    socket.on('close', () => controller.abort());
    try {
      // Malformed requests are refused before the upgrade; the token and the allocation are checked
      // after it, as Nomad's exec RPC does, and refused with a close frame.
      const ctx = this.context(req, undefined, this.execRouter, controller.signal, { checkToken: false });
      const request = parseExecRequest(ctx);
      this.sockets.handleUpgrade(req, socket, head, ws => {
        try {
          const identity = this.deps.acl.resolve(tokenOf(req));
          if (!identity) throw permissionDenied();
          const runner = allocRunner({ ...ctx, identity }, 'alloc-exec');
          const driver = runner.alloc.Job.TaskGroups.find(
            group => group.Name === runner.alloc.TaskGroup,
          )?.Tasks.find(task => task.Name === request.task)?.Driver;
          const allowed =
            driver !== 'raw_exec' || identity.allowed(runner.alloc.Namespace, 'alloc-node-exec');
          void runExec(ws, runner, request, allowed);
        } catch (err) {
          const { status, message } = this.describe(err);
          ws.close(status >= 500 ? 1011 : 1008, message.slice(0, 120));
        }
      });
    } catch (err) {
      const { status, message } = this.describe(err);
      socket.end(
        `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`,
      );
    }
  };

  /** Resolves the route and runs Nomad's checks; throws the error Nomad would answer. */
  private context(
    req: IncomingMessage,
    res: ServerResponse | undefined,
    router: Router,
    signal: AbortSignal,
    { checkToken } = { checkToken: true },
  ): RequestContext & { route: Route } {
    const url = new URL(req.url ?? '/', 'http://nomad');
    const method = req.method ?? 'GET';
    const { match, pathKnown } = router.match(method, url.pathname);
    if (!match) throw new HttpError(pathKnown ? 405 : 404, pathKnown ? 'Invalid method' : 'Invalid URL path');
    const injected = this.deps.faults.take(method, url.pathname);
    if (injected) throw new HttpError(injected.status, injected.message);
    const { route, params } = match;
    const scope = route.scope ?? 'server';
    const region = url.searchParams.get('region');
    if (scope !== 'agent' && region && region !== this.deps.agent.region) {
      throw new HttpError(500, 'No path to region');
    }
    const stale = method === 'GET' && url.searchParams.has('stale');
    if (scope === 'server' && !this.deps.faults.knownLeader && !stale)
      throw new HttpError(500, 'No cluster leader');
    const identity = checkToken ? this.deps.acl.resolve(tokenOf(req)) : this.deps.acl.resolve(undefined);
    if (!identity) throw permissionDenied();
    return {
      req,
      res: res!,
      url,
      params,
      identity,
      namespace: url.searchParams.get('namespace') || 'default',
      cluster: this.deps.cluster,
      agent: this.deps.agent,
      signal,
      route,
    };
  }

  private async serve(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const ctx = this.context(req, res, this.router, signal);
    const reply = await ctx.route.handler(ctx);
    if (reply) this.send(res, reply);
  }

  private send(res: ServerResponse, reply: Reply): void {
    if (res.headersSent) return;
    const status = reply.status ?? 200;
    const headers: Record<string, string> = { ...reply.headers };
    if (reply.index !== undefined) {
      headers['X-Nomad-Index'] = String(reply.index);
      headers['X-Nomad-KnownLeader'] = String(this.deps.faults.knownLeader);
      headers['X-Nomad-LastContact'] = '0';
    }
    if (status >= 400 && typeof reply.body === 'string') {
      res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(reply.body);
      return;
    }
    const body = JSON.stringify(reply.body);
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
    });
    res.end(body);
  }

  private describe(err: unknown): { status: number; message: string } {
    if (err instanceof HttpError) return { status: err.status, message: err.message };
    return { status: 500, message: errorMessage(err) };
  }

  private sendError(res: ServerResponse, err: unknown): void {
    const { status, message } = this.describe(err);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(message)),
    });
    res.end(message);
  }
}
