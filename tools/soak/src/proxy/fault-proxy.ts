import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

import { Agent, request, type Dispatcher } from 'undici';

import type { Rng } from '../random.js';

/** Where the proxy forwards to, as whom. */
export interface Upstream {
  /** https://127.0.0.1:<port> of the API server. */
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** How a pod status write is answered while a status fault is on. */
export type StatusFault = 409 | 429 | 500 | 503 | 'applied-then-500';

/** One write the proxy forwarded (or refused to forward), for the soak's two-writer check. */
export interface WireWrite {
  agent: string;
  method: string;
  path: string;
  /** Epoch ms when the proxy sent it upstream (or dropped it). */
  sent: number;
  /** HTTP status from the API server; 0 when it never got one (dropped, or the connection failed). */
  code: number;
  /** Held by a partition: it never reached the API server. */
  dropped?: boolean;
  /** For a Lease write: the holderIdentity it asked for. */
  holder?: string;
}

const POD_STATUS = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/status$/;
const LEASE = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/[^/]+\/leases(\/[^/]+)?$/;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'host',
  'upgrade',
  'te',
  'trailer',
]);

/**
 * An HTTPS proxy between one agent and the API server (the agent's kubeconfig points at it), that
 * forwards as the agent's identity and breaks things on demand: pod status writes answered 409, 429
 * or 5xx (or applied, then answered 500), watch streams cut in the middle of an event, and a
 * partition that drops every request both ways until healed. It logs every write it forwards.
 */
export class FaultProxy {
  readonly writes: WireWrite[] = [];
  private readonly server: Server;
  private readonly dispatcher: Dispatcher;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<() => void>();
  private statusFault: { answer: StatusFault; until: number; rate: number } | undefined;
  private cutWatchesUntil = 0;
  private partitioned = false;
  private random: () => number = Math.random;

  constructor(
    readonly agent: string,
    private readonly upstream: Upstream,
    serving: { certPem: string; keyPem: string },
  ) {
    this.dispatcher = new Agent({
      connect: { ca: upstream.caPem, cert: upstream.certPem, key: upstream.keyPem },
      keepAliveTimeout: 30_000,
    });
    this.server = createServer({ cert: serving.certPem, key: serving.keyPem });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.forward(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>(resolve => this.server.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
    await this.dispatcher.close().catch(() => {});
  }

  useRandom(rng: Rng): void {
    this.random = () => rng.next();
  }

  /** For `ms` from now, pod status writes are answered `answer` with probability `rate`. */
  failStatusWrites(answer: StatusFault, rate: number, ms: number): void {
    this.statusFault = { answer, rate, until: Date.now() + ms };
  }

  /** Cuts every open watch stream in the middle of its next event, and new ones too for `ms`. */
  cutWatches(ms: number): void {
    this.cutWatchesUntil = Date.now() + ms;
    for (const cut of this.watches) cut();
  }

  /** Drops everything from now on, both ways, as a network partition would. */
  partition(): void {
    this.partitioned = true;
    for (const cut of this.watches) cut();
  }

  /** Forwards again; what was held during the partition is lost, as packets would be. */
  heal(): void {
    this.partitioned = false;
    for (const socket of this.sockets) socket.destroy();
  }

  get isPartitioned(): boolean {
    return this.partitioned;
  }

  /** Ends every fault window (not a partition: the soak heals those itself). */
  calm(): void {
    this.statusFault = undefined;
    this.cutWatchesUntil = 0;
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'https://proxy.invalid');
    const isWrite = method !== 'GET' && method !== 'HEAD';
    const body = isWrite ? await readBody(req) : undefined;
    if (this.partitioned) {
      // Never answered: the agent's own timeouts and deadlines decide what happens.
      if (isWrite) this.logWrite(method, url.pathname, body, Date.now(), 0, true);
      return;
    }
    const fault = this.statusFault;
    const statusWrite = isWrite && POD_STATUS.test(url.pathname);
    const injected =
      statusWrite && fault && Date.now() < fault.until && this.random() < fault.rate
        ? fault.answer
        : undefined;
    if (injected !== undefined && injected !== 'applied-then-500') return answerStatus(res, injected);

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && typeof value === 'string') headers[name] = value;
    }
    const sent = Date.now();
    const upstreamAbort = new AbortController();
    res.once('close', () => upstreamAbort.abort());
    let response: Dispatcher.ResponseData;
    try {
      response = await request(`${this.upstream.server}${url.pathname}${url.search}`, {
        method: method,
        headers,
        body,
        dispatcher: this.dispatcher,
        signal: upstreamAbort.signal,
      });
    } catch {
      if (isWrite) this.logWrite(method, url.pathname, body, sent, 0);
      // The API server is down or went away: the agent sees its connection reset, as it would.
      res.destroy();
      return;
    }
    if (isWrite) this.logWrite(method, url.pathname, body, sent, response.statusCode);
    if (injected === 'applied-then-500' || this.partitioned) {
      await response.body.dump().catch(() => {});
      if (this.partitioned) return;
      return answerStatus(res, 500);
    }
    const responseHeaders: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined) responseHeaders[name] = value;
    }
    res.writeHead(response.statusCode, responseHeaders);
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    if (watch) await this.relayWatch(response.body, res);
    else await relay(response.body, res);
  }

  /** Relays a watch stream; cut() writes half of the next chunk and drops the connection. */
  private async relayWatch(body: Dispatcher.ResponseData['body'], res: ServerResponse): Promise<void> {
    let cutting = Date.now() < this.cutWatchesUntil;
    const cut = (): void => {
      cutting = true;
    };
    this.watches.add(cut);
    try {
      for await (const chunk of body) {
        const data = chunk as Buffer;
        if (this.partitioned) continue;
        if (cutting || Date.now() < this.cutWatchesUntil) {
          res.write(data.subarray(0, Math.max(1, Math.floor(data.length / 2))));
          res.destroy();
          body.destroy();
          return;
        }
        if (!res.write(data)) await new Promise(resolve => res.once('drain', resolve));
      }
      res.end();
    } catch {
      res.destroy();
    } finally {
      this.watches.delete(cut);
    }
  }

  private logWrite(
    method: string,
    path: string,
    body: string | undefined,
    sent: number,
    code: number,
    dropped = false,
  ): void {
    const write: WireWrite = { agent: this.agent, method, path, sent, code, ...(dropped ? { dropped } : {}) };
    if (LEASE.test(path) && body) {
      try {
        const holder = (JSON.parse(body) as { spec?: { holderIdentity?: string } }).spec?.holderIdentity;
        if (holder !== undefined) write.holder = holder;
      } catch {
        // Not JSON: not a lease write the soak can read.
      }
    }
    this.writes.push(write);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function relay(body: Dispatcher.ResponseData['body'], res: ServerResponse): Promise<void> {
  try {
    for await (const chunk of body) {
      if (!res.write(chunk as Buffer)) await new Promise(resolve => res.once('drain', resolve));
    }
    res.end();
  } catch {
    res.destroy();
  }
}

const REASONS: Record<number, string> = {
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/** An API server error answer (a Status object), as the API server itself would send it. */
function answerStatus(res: ServerResponse, code: 409 | 429 | 500 | 503): void {
  const reason = REASONS[code]!;
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `injected by the soak's fault proxy: ${reason}`,
    reason,
    code,
  });
  res.writeHead(code, {
    'content-type': 'application/json',
    ...(code === 429 ? { 'retry-after': '1' } : {}),
  });
  res.end(body);
}
