import { noopLogger, noopMeter, type Logger, type MetricMeter } from '@vkubelet/provider-kit';

import type { KubeClient } from '../kube/client.js';
import { isKubeGone } from '../kube/errors.js';
import type { WatchEvent } from '../kube/watch-stream.js';
import { jitteredBackoff, sleep } from './backoff.js';
import { createInformerMetrics, type InformerMetrics } from './informer-metrics.js';
import { objectKey, shareUnchangedParts, stripManagedFields, type KubeObject } from './object-key.js';
import { StringPool } from './string-pool.js';

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** Gets the object's final state from a watch, or the last state seen when a relist found it gone. */
  onDelete?(obj: T): void;
}

export interface InformerOptions<T> {
  client: Pick<KubeClient, 'requestJson' | 'watch'>;
  /** Collection path across namespaces, e.g. `/api/v1/pods` or `/apis/coordination.k8s.io/v1/leases`. */
  path: string;
  /** Limit to one namespace (inserted as `/namespaces/<ns>` before the resource). */
  namespace?: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** Items per list page. */
  pageSize?: number;
  /** Asked of the server, which then ends each watch routinely; randomised up to 2× like client-go. */
  watchTimeoutSeconds?: number;
  /**
   * A watch that got no event or bookmark for this long is presumed dead and reopened (default 5 min).
   * A quiet but healthy watch gets a bookmark every 1-2 minutes from kube-apiserver 1.36 (measured:
   * the first one 120 s after the watch opened), so keep this well above 2 min.
   */
  stallTimeoutMs?: number;
  /** First and longest delay between reconnect attempts after a failure. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Names the informer in logs and in the `informer` metric label (default: the path). */
  name?: string;
  handlers?: InformerHandlers<T>;
  logger?: Logger;
  metrics?: MetricMeter;
}

interface ListPage<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/** Why a watch was cut by the informer itself. */
class WatchStalledError extends Error {
  override readonly name = 'WatchStalledError';
}

/**
 * A list/watch cache of one resource, like client-go's reflector + store: lists in pages, watches
 * from the list's resourceVersion with bookmarks, relists on 410 Gone (emitting deletes and updates
 * for what changed meanwhile), reopens a watch that stalls, and reconnects after any other failure
 * with jittered backoff for as long as it runs.
 */
export class Informer<T extends KubeObject> {
  readonly name: string;
  private readonly options: InformerOptions<T>;
  private readonly collectionPath: string;
  private readonly logger: Logger;
  private readonly metrics: InformerMetrics;
  private readonly store = new Map<string, T>();
  private readonly strings = new StringPool();
  private readonly handlers = new Set<InformerHandlers<T>>();
  private resourceVersion: string | undefined;
  private synced = false;
  private readonly syncWaiters = new Set<() => void>();
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(options: InformerOptions<T>) {
    if (!options.path.startsWith('/'))
      throw new TypeError(`Informer: path must start with '/', got ${options.path}`);
    const pageSize = options.pageSize ?? 500;
    if (!Number.isInteger(pageSize) || pageSize < 1)
      throw new TypeError(`Informer: bad pageSize ${pageSize}`);
    this.options = { ...options, pageSize };
    this.collectionPath = namespaced(options.path, options.namespace);
    this.name = options.name ?? this.collectionPath;
    this.logger = (options.logger ?? noopLogger).child({ informer: this.name });
    this.metrics = createInformerMetrics(options.metrics ?? noopMeter, this.name);
    if (options.handlers) this.handlers.add(options.handlers);
  }

  /** True once the first list has been stored (and stays true across relists). */
  get hasSynced(): boolean {
    return this.synced;
  }

  /** The cached object under `namespace/name` (or `name` for cluster-scoped resources). */
  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  /** Register handlers; when already synced, the cached objects are replayed to `onAdd` first. */
  addHandlers(handlers: InformerHandlers<T>): () => void {
    if (this.synced) for (const obj of this.store.values()) this.call(handlers, 'onAdd', obj);
    this.handlers.add(handlers);
    return () => this.handlers.delete(handlers);
  }

  /** Resolves once synced; rejects with the abort reason if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.syncWaiters.delete(done);
        reject(signal?.reason as Error);
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted) return onAbort();
      this.syncWaiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Start listing and watching in the background until `stop()` or `signal` aborts. */
  start(signal?: AbortSignal): void {
    if (this.loop) throw new Error(`Informer ${this.name} is already started`);
    const controller = new AbortController();
    this.controller = controller;
    const stopSignal = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    this.loop = this.run(stopSignal).catch((err: unknown) => {
      this.logger.error('informer loop ended unexpectedly', { err });
    });
  }

  /** Stop and wait for the current list or watch to end. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    this.loop = undefined;
    this.controller = undefined;
  }

  private get minBackoffMs(): number {
    return this.options.minBackoffMs ?? 1000;
  }

  private get maxBackoffMs(): number {
    return this.options.maxBackoffMs ?? 30_000;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let mustList = true;
    let failures = 0;
    // Consecutive 410s without a healthy event in between; a second one in a row backs off.
    let expired = 0;
    // Consecutive watches the server ended at once without an event; a second one in a row backs off.
    let emptyEnds = 0;
    while (!signal.aborted) {
      try {
        if (mustList) {
          await this.relist(signal);
          mustList = false;
        }
        let healthy = false;
        const openedAt = performance.now();
        await this.watch(signal, () => {
          healthy = true;
          failures = 0;
          expired = 0;
          emptyEnds = 0;
        });
        // The server ended the watch (timeoutSeconds): reopen it from where it stopped. An API server
        // that cannot keep up ends a busy watch at once (its per-watcher buffer is 10 events for a
        // node's pods): reopen that at once too, as waiting only lets more events pile up; a second
        // one in a row is a misbehaving server or proxy, so back off from then on.
        if (!healthy && performance.now() - openedAt < 1000) {
          this.metrics.failures.add();
          if (++emptyEnds > 1) {
            const delay = jitteredBackoff(emptyEnds - 1, this.minBackoffMs, this.maxBackoffMs);
            this.logger.warn('watch ended at once without any event; retrying', {
              attempt: emptyEnds,
              delayMs: Math.round(delay),
            });
            await sleep(delay, signal);
          }
        }
      } catch (err) {
        if (signal.aborted) break;
        if (isKubeGone(err)) {
          this.logger.info('resourceVersion expired; relisting', { resourceVersion: this.resourceVersion });
          this.resourceVersion = undefined;
          mustList = true;
          if (++expired > 1)
            await sleep(jitteredBackoff(expired - 1, this.minBackoffMs, this.maxBackoffMs), signal);
          continue;
        }
        if (err instanceof WatchStalledError) {
          this.metrics.stalls.add();
          this.logger.warn(err.message);
          continue;
        }
        failures++;
        const delay = jitteredBackoff(failures, this.minBackoffMs, this.maxBackoffMs);
        this.metrics.failures.add();
        this.logger.warn('list/watch failed; retrying', {
          err,
          attempt: failures,
          delayMs: Math.round(delay),
        });
        await sleep(delay, signal);
      }
    }
  }

  /** List every page, then replace the store, telling handlers what was added, changed or removed. */
  private async relist(signal: AbortSignal): Promise<void> {
    const { items, resourceVersion } = await this.listAll(signal);
    this.metrics.relists.add(1, { reason: this.synced ? 'relist' : 'initial' });
    const seen = new Set<string>();
    for (const raw of items) {
      const obj = stripManagedFields(raw);
      const key = objectKey(obj);
      seen.add(key);
      const old = this.store.get(key);
      if (old === undefined) {
        this.store.set(key, this.compact(undefined, obj));
        this.emit('onAdd', obj);
      } else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
        this.store.set(key, this.compact(old, obj));
        this.emit('onUpdate', old, obj);
      }
    }
    for (const [key, old] of this.store) {
      if (seen.has(key)) continue;
      this.store.delete(key);
      this.emit('onDelete', old);
    }
    this.resourceVersion = resourceVersion;
    this.metrics.objects.set(this.store.size);
    if (!this.synced) {
      this.synced = true;
      for (const done of this.syncWaiters) done();
      this.syncWaiters.clear();
    }
  }

  private async listAll(signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string | undefined }> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let limit: number | undefined = this.options.pageSize;
    for (;;) {
      let page: ListPage<T>;
      try {
        page = await this.options.client.requestJson<ListPage<T>>('GET', this.collectionPath, {
          query: { ...this.selectors(), limit, continue: continueToken },
          signal,
        });
      } catch (err) {
        // The continue token expired between pages: start over with one unpaged list, as client-go does.
        if (continueToken !== undefined && isKubeGone(err)) {
          items.length = 0;
          continueToken = undefined;
          limit = undefined;
          continue;
        }
        throw err;
      }
      items.push(...(page.items ?? []));
      continueToken = page.metadata?.continue || undefined;
      if (continueToken === undefined) return { items, resourceVersion: page.metadata?.resourceVersion };
    }
  }

  /** One watch from the current resourceVersion, cut by the watchdog if it goes quiet. */
  private async watch(signal: AbortSignal, onHealthy: () => void): Promise<void> {
    const stallMs = this.options.stallTimeoutMs ?? 300_000;
    const watchdog = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const feed = (): void => {
      clearTimeout(timer);
      timer = setTimeout(
        () => watchdog.abort(new WatchStalledError(`watch got nothing for ${stallMs} ms; reopening it`)),
        stallMs,
      );
    };
    const baseTimeout = this.options.watchTimeoutSeconds ?? 300;
    const query = {
      ...this.selectors(),
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: Math.round(baseTimeout * (1 + Math.random())),
    };
    feed();
    try {
      await this.options.client.watch<T>(
        this.collectionPath,
        query,
        event => {
          feed();
          onHealthy();
          this.apply(event);
        },
        AbortSignal.any([signal, watchdog.signal]),
      );
    } catch (err) {
      if (watchdog.signal.aborted && !signal.aborted) throw watchdog.signal.reason as Error;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private apply(event: WatchEvent<T>): void {
    const obj = stripManagedFields(event.object);
    const resourceVersion = obj.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (resourceVersion) this.resourceVersion = resourceVersion;
      return;
    }
    const key = objectKey(obj);
    if (event.type === 'DELETED') {
      this.store.delete(key);
      this.emit('onDelete', obj);
    } else {
      const old = this.store.get(key);
      if (old === undefined) {
        this.store.set(key, this.compact(undefined, obj));
        this.emit('onAdd', obj);
      } else {
        this.store.set(key, this.compact(old, obj));
        this.emit('onUpdate', old, obj);
      }
    }
    if (resourceVersion) this.resourceVersion = resourceVersion;
    this.metrics.objects.set(this.store.size);
  }

  /** `next` sharing what it can: unchanged parts with `previous`, short strings with the pool. */
  private compact(previous: T | undefined, next: T): T {
    if (previous !== undefined) shareUnchangedParts(previous, next);
    const before = (previous ?? {}) as Record<string, unknown>;
    const after = next as Record<string, unknown>;
    for (const part in after) {
      const value = after[part];
      if (typeof value === 'string') after[part] = this.strings.intern(value);
      else if (value !== before[part]) this.strings.internAll(value);
    }
    return next;
  }

  private selectors(): { fieldSelector?: string; labelSelector?: string } {
    return { fieldSelector: this.options.fieldSelector, labelSelector: this.options.labelSelector };
  }

  private emit(kind: 'onAdd' | 'onDelete', obj: T): void;
  private emit(kind: 'onUpdate', oldObj: T, newObj: T): void;
  private emit(kind: keyof InformerHandlers<T>, a: T, b?: T): void {
    for (const handlers of this.handlers) this.call(handlers, kind, a, b);
  }

  /** A throwing handler is logged; it must not stop the informer or the other handlers. */
  private call(handlers: InformerHandlers<T>, kind: keyof InformerHandlers<T>, a: T, b?: T): void {
    try {
      if (kind === 'onUpdate') handlers.onUpdate?.(a, b!);
      else handlers[kind]?.(a);
    } catch (err) {
      this.logger.error(`${kind} handler threw`, { err, key: objectKey(b ?? a) });
    }
  }
}

/** `/api/v1/pods` + `ns` → `/api/v1/namespaces/ns/pods`. */
function namespaced(path: string, namespace: string | undefined): string {
  if (!namespace) return path;
  const slash = path.lastIndexOf('/');
  return `${path.slice(0, slash)}/namespaces/${encodeURIComponent(namespace)}${path.slice(slash)}`;
}
