import type { V1ConfigMap, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';
import {
  TransientError,
  noopLogger,
  noopMeter,
  type Logger,
  type MetricGauge,
  type MetricMeter,
  type ResourceLister,
} from '@vkubelet/provider-kit';

import type { KubeClient } from '../kube/client.js';
import { isKubeNotFound } from '../kube/errors.js';
import { Informer } from './informer.js';
import { objectKey } from './object-key.js';
import {
  parseReferenceKey,
  podReferences,
  referenceKey,
  type ReferencedKind,
  type ReferenceKey,
} from './pod-references.js';

export interface ScopedResourceCacheOptions {
  client: Pick<KubeClient, 'requestJson' | 'watch'>;
  /** How long a direct GET that found nothing is believed (default 5 s). */
  notFoundTtlMs?: number;
  /** How long `listServices` waits for the first list of services (default 30 s). */
  servicesSyncTimeoutMs?: number;
  logger?: Logger;
  metrics?: MetricMeter;
  /** Passed to every informer (tests shorten backoffs and timeouts). */
  informerDefaults?: Partial<
    Pick<
      ConstructorParameters<typeof Informer>[0],
      'minBackoffMs' | 'maxBackoffMs' | 'stallTimeoutMs' | 'watchTimeoutSeconds'
    >
  >;
}

type Referenced = V1ConfigMap | V1Secret;

interface Watched {
  refs: number;
  informer: Informer<Referenced>;
}

const COLLECTION: Record<ReferencedKind, string> = { ConfigMap: 'configmaps', Secret: 'secrets' };

/**
 * ConfigMaps, Secrets and Services as the pods of this node need them, readable with the node's own
 * identity. The Node authorizer lets a node read a Secret or ConfigMap only by name and only while a
 * pod bound to it refers to it, so each referenced object gets its own watch (fieldSelector
 * `metadata.name=<name>`), started when the first pod refers to it and stopped when the last one
 * goes. There are no cluster-wide Secret/ConfigMap informers (upstream issue #1311).
 *
 * Services come from one informer over all namespaces: nodes may list/watch services, service links
 * need the pod's namespace plus `default`, and the kubelet itself keeps the same cluster-wide cache.
 */
export class ScopedResourceCache implements ResourceLister {
  private readonly options: ScopedResourceCacheOptions;
  private readonly logger: Logger;
  private readonly watched = new Map<ReferenceKey, Watched>();
  /** References of each tracked pod, by `namespace/name`. */
  private readonly pods = new Map<string, Set<ReferenceKey>>();
  private readonly notFoundUntil = new Map<ReferenceKey, number>();
  private readonly watchGauge: MetricGauge;
  private readonly abort = new AbortController();
  private services: Informer<V1Service> | undefined;

  constructor(options: ScopedResourceCacheOptions) {
    this.options = options;
    this.logger = (options.logger ?? noopLogger).child({ component: 'scoped-resource-cache' });
    this.watchGauge = (options.metrics ?? noopMeter).gauge(
      'vkubelet_scoped_cache_watches',
      'Single-object watches of ConfigMaps and Secrets referenced by pods on this node.',
    );
  }

  /** Follow a pod informer: track pods as they come and change, untrack them when they go. */
  followPods(pods: Informer<V1Pod>): () => void {
    return pods.addHandlers({
      onAdd: pod => this.trackPod(pod),
      onUpdate: (_old, pod) => this.trackPod(pod),
      onDelete: pod => this.untrackPod(pod),
    });
  }

  /** Watch what `pod` refers to (and stop watching what an earlier version of it referred to). */
  trackPod(pod: V1Pod): void {
    const key = objectKey(pod);
    const before = this.pods.get(key) ?? new Set<ReferenceKey>();
    const after = podReferences(pod);
    this.pods.set(key, after);
    for (const ref of after) if (!before.has(ref)) this.retainKey(ref);
    for (const ref of before) if (!after.has(ref)) this.releaseKey(ref);
    this.startServices();
  }

  untrackPod(pod: V1Pod | string): void {
    const key = typeof pod === 'string' ? pod : objectKey(pod);
    const refs = this.pods.get(key);
    if (!refs) return;
    this.pods.delete(key);
    for (const ref of refs) this.releaseKey(ref);
  }

  /** Count one more user of an object; the first starts its watch. */
  retain(namespace: string, kind: ReferencedKind, name: string): void {
    this.retainKey(referenceKey(kind, namespace, name));
  }

  /** Count one user less; the last one stops the watch and drops the object from the cache. */
  release(namespace: string, kind: ReferencedKind, name: string): void {
    this.releaseKey(referenceKey(kind, namespace, name));
  }

  getConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    return this.get<V1ConfigMap>('ConfigMap', namespace, name);
  }

  getSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return this.get<V1Secret>('Secret', namespace, name);
  }

  async listServices(namespace?: string): Promise<V1Service[]> {
    const services = this.startServices();
    if (!services.hasSynced) {
      const timeout = this.options.servicesSyncTimeoutMs ?? 30_000;
      await services
        .waitForSync(AbortSignal.any([AbortSignal.timeout(timeout), this.abort.signal]))
        .catch(err => {
          throw new TransientError(`services have not been listed yet (waited ${timeout} ms)`, {
            cause: err,
          });
        });
    }
    const all = services.list();
    return namespace === undefined ? all : all.filter(s => s.metadata?.namespace === namespace);
  }

  /** Number of single-object watches running (one per referenced ConfigMap or Secret). */
  get watchCount(): number {
    return this.watched.size;
  }

  /** Stop every watch; later calls answer with direct GETs only. */
  async stop(): Promise<void> {
    this.abort.abort();
    const informers = [...this.watched.values()].map(w => w.informer);
    this.watched.clear();
    this.watchGauge.set(0);
    await Promise.all([...informers.map(i => i.stop()), this.services?.stop()]);
  }

  /**
   * From the object's watch once it has listed; before that (and for objects no pod refers to) a
   * direct GET, so a caller never waits for a watch. A GET that finds nothing is believed briefly.
   * Forbidden and other errors are thrown to the caller.
   */
  private async get<T extends Referenced>(
    kind: ReferencedKind,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    const ref = referenceKey(kind, namespace, name);
    const watched = this.watched.get(ref);
    if (watched?.informer.hasSynced) return watched.informer.get(`${namespace}/${name}`) as T | undefined;
    const notFoundUntil = this.notFoundUntil.get(ref);
    if (notFoundUntil !== undefined) {
      if (notFoundUntil > Date.now()) return undefined;
      this.notFoundUntil.delete(ref);
    }
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/${COLLECTION[kind]}/${encodeURIComponent(name)}`;
    try {
      return await this.options.client.requestJson<T>('GET', path);
    } catch (err) {
      if (!isKubeNotFound(err)) throw err;
      this.notFoundUntil.set(ref, Date.now() + (this.options.notFoundTtlMs ?? 5000));
      return undefined;
    }
  }

  private retainKey(ref: ReferenceKey): void {
    const watched = this.watched.get(ref);
    if (watched) {
      watched.refs++;
      return;
    }
    if (this.abort.signal.aborted) return;
    const { kind, namespace, name } = parseReferenceKey(ref);
    const informer = new Informer<Referenced>({
      ...this.options.informerDefaults,
      client: this.options.client,
      path: `/api/v1/${COLLECTION[kind]}`,
      namespace,
      fieldSelector: `metadata.name=${name}`,
      name: ref,
      pageSize: 1,
      logger: this.logger,
      metrics: this.options.metrics,
    });
    this.watched.set(ref, { refs: 1, informer });
    this.notFoundUntil.delete(ref);
    this.watchGauge.set(this.watched.size);
    informer.start(this.abort.signal);
  }

  private releaseKey(ref: ReferenceKey): void {
    const watched = this.watched.get(ref);
    if (!watched || --watched.refs > 0) return;
    this.watched.delete(ref);
    this.watchGauge.set(this.watched.size);
    watched.informer
      .stop()
      .catch((err: unknown) => this.logger.warn('stopping a watch failed', { ref, err }));
  }

  private startServices(): Informer<V1Service> {
    if (this.services) return this.services;
    const services = new Informer<V1Service>({
      ...this.options.informerDefaults,
      client: this.options.client,
      path: '/api/v1/services',
      name: 'services',
      logger: this.logger,
      metrics: this.options.metrics,
    });
    this.services = services;
    if (!this.abort.signal.aborted) services.start(this.abort.signal);
    return services;
  }
}
