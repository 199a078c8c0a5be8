import type { V1Lease } from '@kubernetes/client-node';

import type { Logger, MetricMeter } from '@vkubelet/provider-kit';

import { isKubeConflict, isKubeNotFound, type KubeClient } from '../kube/client.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { leaseObject } from './lease-object.js';
import { microTime } from './micro-time.js';

export const LEASE_NAMESPACE = 'kube-node-lease';

export interface LeaseControllerOptions {
  client: KubeClient;
  nodeName: string;
  /** Lease duration (default 40 s, the kubelet's). */
  durationSeconds?: number;
  /** Renew interval (default a quarter of the duration: 10 s). */
  renewIntervalMs?: number;
  /** UID of the registered Node, for the lease's owner reference; undefined until registered. */
  nodeUid: () => string | undefined;
  logger: Logger;
  metrics: MetricMeter;
}

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 7_000;

/**
 * Keeps the node's Lease in kube-node-lease renewed: the heartbeat the node lifecycle controller
 * watches. Renewal does not depend on provider health (Ready carries that), so a slow backend never
 * makes the control plane evict pods that still run. Failures back off from 200 ms to 7 s.
 */
export class LeaseController {
  private readonly durationSeconds: number;
  private readonly renewIntervalMs: number;
  private cached: V1Lease | undefined;
  private readonly renewals;
  private readonly failures;

  constructor(private readonly options: LeaseControllerOptions) {
    this.durationSeconds = options.durationSeconds ?? 40;
    this.renewIntervalMs = options.renewIntervalMs ?? (this.durationSeconds * 1000) / 4;
    if (this.renewIntervalMs >= this.durationSeconds * 1000) {
      throw new RangeError('lease renew interval must be shorter than the lease duration');
    }
    this.renewals = options.metrics.counter(
      'vkubelet_lease_renewals_total',
      'Successful node lease renewals.',
    );
    this.failures = options.metrics.counter('vkubelet_lease_failures_total', 'Failed node lease renewals.');
  }

  async run(signal: AbortSignal): Promise<void> {
    let backoffMs = MIN_BACKOFF_MS;
    while (!signal.aborted) {
      try {
        await this.renew(signal);
        this.renewals.add();
        backoffMs = MIN_BACKOFF_MS;
        await abortableSleep(this.renewIntervalMs, signal);
      } catch (err) {
        if (signal.aborted) return;
        this.failures.add();
        this.options.logger.warn('failed to renew node lease', { err, retryInMs: backoffMs });
        await abortableSleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** One renewal: an update from the cached lease when possible (no GET), else read or create. */
  async renew(signal: AbortSignal): Promise<void> {
    const uid = this.options.nodeUid();
    if (this.cached) {
      try {
        this.cached = await this.write('PUT', this.refreshed(this.cached, uid), signal);
        return;
      } catch (err) {
        if (!isKubeConflict(err) && !isKubeNotFound(err)) throw err;
        this.cached = undefined;
      }
    }
    const path = this.path();
    let current: V1Lease | undefined;
    try {
      current = await this.options.client.requestJson<V1Lease>('GET', path, { signal });
    } catch (err) {
      if (!isKubeNotFound(err)) throw err;
    }
    if (current) {
      this.cached = await this.write('PUT', this.refreshed(current, uid), signal);
      return;
    }
    // Create only once the Node exists, so the lease is garbage-collected with it.
    if (!uid) throw new Error('node is not registered yet; lease creation waits for it');
    this.cached = await this.write(
      'POST',
      this.refreshed({ metadata: { name: this.options.nodeName } }, uid),
      signal,
    );
  }

  private refreshed(lease: V1Lease, nodeUid: string | undefined): V1Lease {
    const owners = nodeUid
      ? [{ apiVersion: 'v1', kind: 'Node', name: this.options.nodeName, uid: nodeUid }]
      : lease.metadata?.ownerReferences;
    return leaseObject(
      lease,
      { namespace: LEASE_NAMESPACE, name: this.options.nodeName, ownerReferences: owners },
      {
        holderIdentity: this.options.nodeName,
        leaseDurationSeconds: this.durationSeconds,
        renewTime: microTime() as unknown as Date,
      },
    );
  }

  private async write(method: 'PUT' | 'POST', lease: V1Lease, signal: AbortSignal): Promise<V1Lease> {
    const path =
      method === 'PUT' ? this.path() : `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`;
    return this.options.client.requestJson<V1Lease>(method, path, { body: lease, signal });
  }

  private path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases/${encodeURIComponent(this.options.nodeName)}`;
  }
}
