import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { NotFoundError, TransientError, type CallOptions } from '@vkubelet/provider-kit';
import { MockBackend, MockProvider, type MockSettingsInput } from '@vkubelet/provider-kit/mock';
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Rng } from '../../random.js';
import type { BackendEvent, BackendPod } from '../types.js';
import { AGENT_HEADER, CRASH_HEADER, statusOfKind, toWireError } from './protocol.js';

export interface MockBackendServerOptions {
  nodeName: string;
  /** InternalIP the mock reports for the node and as every pod's hostIP. */
  internalIP: string;
  /** JSON-lines copy of the record (created, deleted, lost), for reading after a run. */
  recordPath?: string;
  /** Mock settings (startup delay, restart delay); latency and errors are injected here instead. */
  settings?: MockSettingsInput;
}

type Mutation = 'createPod' | 'updatePod' | 'deletePod';
type Operation = Mutation | 'getPod' | 'getPodStatus' | 'getPods' | 'ping' | 'configureNode';

interface Hang {
  /** Applied before the held answer ('answer') or only after the hold ('apply'). */
  mode: 'answer' | 'apply';
  ms: number;
}

/**
 * The mock's "cloud" as a process of its own (the soak's): pods run here, in a MockProvider with its
 * MockBackend, and outlive the agent processes that drive them over HTTP (the agents' provider is
 * `RemoteMockProvider`). Every call that creates or removes a pod is recorded with the calling
 * agent, so double creations and deletes are seen across agent kills. The soak injects provider
 * faults here: failing calls, slow calls, calls that hang past the agent's call timeout, pods lost
 * out of band, and crash points (the answer tells the agent process to die at once).
 */
export class MockBackendServer {
  readonly backend = new MockBackend();
  private readonly provider: MockProvider;
  private readonly server: Server;
  private readonly record: BackendEvent[] = [];
  private readonly watchers = new Set<ServerResponse>();
  private readonly lost = new Set<string>();
  private errorsUntil = 0;
  private errorRate = 0;
  private slowUntil = 0;
  private slowMs = { min: 0, max: 0 };
  private readonly hangs: Hang[] = [];
  private readonly crashes: Record<'createPod' | 'deletePod', number> = { createPod: 0, deletePod: 0 };
  /** Crash points that went off, by operation. */
  readonly crashed: Record<'createPod' | 'deletePod', number> = { createPod: 0, deletePod: 0 };
  private random: () => number = Math.random;

  private recordPath: string | undefined;

  constructor(private readonly options: MockBackendServerOptions) {
    this.recordPath = options.recordPath;
    this.provider = new MockProvider({
      ...options.settings,
      backend: this.backend,
      nodeName: options.nodeName,
      internalIP: options.internalIP,
      notifier: true,
    });
    this.backend.subscribe(pod => this.broadcast(pod));
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
  }

  /** Listens on 127.0.0.1; returns the base URL. */
  async listen(): Promise<string> {
    await new Promise<void>(resolve => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.destroy();
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
    this.backend.close();
  }

  events(): BackendEvent[] {
    return [...this.record];
  }

  inventory(): BackendPod[] {
    return this.backend.list().map(runtime => {
      const { namespace, name } = runtime.pod.metadata ?? {};
      return { pod: `${namespace}/${name}`, uid: runtime.uid, phase: runtime.status().phase };
    });
  }

  /** Appends the record to this JSON-lines file from now on. */
  recordTo(path: string): void {
    this.recordPath = path;
  }

  /** Uses the soak's seeded randomness for error rolls and delays. */
  useRandom(rng: Rng): void {
    this.random = () => rng.next();
  }

  /** Pod calls fail with TransientError at `rate` until `ms` from now. */
  failCalls(rate: number, ms: number): void {
    this.errorRate = rate;
    this.errorsUntil = Date.now() + ms;
  }

  /** Every call takes `min`..`max` ms longer until `ms` from now. */
  slowCalls(min: number, max: number, ms: number): void {
    this.slowMs = { min, max };
    this.slowUntil = Date.now() + ms;
  }

  /** The next create, update or delete hangs `ms` (past the agent's call timeout), applied first or last. */
  hangNextCall(mode: Hang['mode'], ms: number): void {
    this.hangs.push({ mode, ms });
  }

  /** The next successful create (or delete) makes the calling agent process die right after it. */
  crashAfterNext(operation: 'createPod' | 'deletePod'): void {
    this.crashes[operation] += 1;
  }

  /** Takes back crash points that have not gone off. */
  disarm(operation: 'createPod' | 'deletePod'): void {
    this.crashes[operation] = 0;
  }

  /** Removes a running pod (one `which` accepts) behind everyone's back: no delete call, no notification. */
  loseRandomPod(rng: Rng, which: (pod: V1Pod) => boolean = () => true): string | undefined {
    const candidates = this.backend.list().filter(runtime => !runtime.terminal && which(runtime.pod));
    if (candidates.length === 0) return undefined;
    const runtime = rng.pick(candidates);
    const { namespace, name } = runtime.pod.metadata ?? {};
    const key = `${namespace}/${name}`;
    this.lost.add(runtime.uid);
    this.backend.remove(runtime);
    runtime.stop();
    this.note({ t: Date.now(), op: 'lost', pod: key, uid: runtime.uid });
    return key;
  }

  /** Closes every fault window and forgets armed hangs and crashes. */
  calm(): void {
    this.errorsUntil = 0;
    this.slowUntil = 0;
    this.hangs.length = 0;
    this.crashes.createPod = 0;
    this.crashes.deletePod = 0;
  }

  private note(event: BackendEvent): void {
    this.record.push(event);
    if (this.recordPath) appendFileSync(this.recordPath, `${JSON.stringify(event)}\n`);
  }

  private broadcast(pod: V1Pod): void {
    if (this.lost.has(pod.metadata?.uid ?? '')) return;
    const line = `${JSON.stringify(pod)}\n`;
    for (const watcher of this.watchers) watcher.write(line);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const agent = String(req.headers[AGENT_HEADER] ?? '');
    const url = new URL(req.url ?? '/', 'http://backend.invalid');
    try {
      if (req.method === 'GET' && url.pathname === '/watch') return this.watch(res);
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      const route = `${req.method} ${url.pathname}`;
      const podPath = /^\/pods\/([^/]+)\/([^/]+)(\/status)?$/.exec(url.pathname);
      if (route === 'POST /pods/create') return await this.mutate('createPod', body as V1Pod, agent, res);
      if (route === 'POST /pods/update') return await this.mutate('updatePod', body as V1Pod, agent, res);
      if (route === 'POST /pods/delete') return await this.mutate('deletePod', body as V1Pod, agent, res);
      if (route === 'GET /pods')
        return reply(res, 200, await this.read('getPods', s => this.provider.getPods(s)));
      if (route === 'GET /ping') return reply(res, 200, await this.read('ping', s => this.provider.ping(s)));
      if (route === 'POST /node') {
        const node = body as V1Node;
        await this.read('configureNode', async () => this.provider.configureNode(node));
        return reply(res, 200, node);
      }
      if (req.method === 'GET' && podPath) {
        const [, namespace = '', name = '', status] = podPath.map(part => decodeURIComponent(part ?? ''));
        const value = status
          ? await this.read('getPodStatus', s => this.provider.getPodStatus(namespace, name, s))
          : await this.read('getPod', s => this.provider.getPod(namespace, name, s));
        return reply(res, 200, value);
      }
      throw new NotFoundError(`no route ${route}`);
    } catch (err) {
      const wire = toWireError(err);
      reply(res, statusOfKind(wire.kind), wire);
    }
  }

  /** Notifications for the agent: every pod now, then each change, one JSON pod a line. */
  private watch(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    this.watchers.add(res);
    res.once('close', () => this.watchers.delete(res));
    for (const runtime of this.backend.list()) res.write(`${JSON.stringify(runtime.snapshot())}\n`);
  }

  private async read<T>(operation: Operation, run: (options: CallOptions) => Promise<T>): Promise<T> {
    await this.injected(operation);
    return run({ signal: new AbortController().signal });
  }

  private async mutate(operation: Mutation, pod: V1Pod, agent: string, res: ServerResponse): Promise<void> {
    await this.injected(operation);
    const hang = this.hangs.shift();
    if (hang?.mode === 'apply') await sleep(hang.ms);
    const { namespace = '', name = '', uid = '' } = pod.metadata ?? {};
    const key = `${namespace}/${name}`;
    const before = this.backend.get(namespace, name);
    const options = { signal: new AbortController().signal };
    let changed = false;
    if (operation === 'createPod') {
      await this.provider.createPod(pod, options);
      if (before?.uid !== uid) {
        // A different UID under that name was replaced: that copy was deleted by this call.
        if (before) this.note({ t: Date.now(), op: 'deleted', pod: key, uid: before.uid, agent });
        this.note({ t: Date.now(), op: 'created', pod: key, uid, agent });
        changed = true;
      }
    } else if (operation === 'deletePod') {
      await this.provider.deletePod(pod, options);
      this.note({ t: Date.now(), op: 'deleted', pod: key, uid: before?.uid ?? uid, agent });
      changed = true;
    } else {
      await this.provider.updatePod(pod, options);
    }
    if (hang?.mode === 'answer') await sleep(hang.ms);
    const crash = changed && operation !== 'updatePod' && this.crashes[operation] > 0;
    if (crash) {
      this.crashes[operation] -= 1;
      this.crashed[operation] += 1;
    }
    res.writeHead(204, crash ? { [CRASH_HEADER]: operation } : {});
    res.end();
  }

  private async injected(operation: Operation): Promise<void> {
    const now = Date.now();
    if (now < this.slowUntil) {
      await sleep(this.slowMs.min + this.random() * (this.slowMs.max - this.slowMs.min));
    }
    if (operation === 'ping' || operation === 'configureNode') return;
    if (now < this.errorsUntil && this.random() < this.errorRate) {
      throw new TransientError(`mock backend: injected failure of ${operation}`);
    }
  }
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  const body = value === undefined ? '' : JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}
