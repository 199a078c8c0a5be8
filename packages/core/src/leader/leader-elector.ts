import type { V1Lease, V1OwnerReference } from '@kubernetes/client-node';

import { errorMessage, noopLogger, noopMeter, type Logger, type MetricMeter } from '@vkubelet/provider-kit';

import {
  isKubeAlreadyExists,
  isKubeConflict,
  isKubeForbidden,
  isKubeNotFound,
  type KubeClient,
} from '../kube/client.js';
import { leaseObject } from '../node/lease-object.js';
import { microTime } from '../node/micro-time.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { withDeadline } from '../util/with-deadline.js';
import { WriteFence } from './write-fence.js';

/** client-go's leader election defaults (kube-controller-manager, kube-scheduler). */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** client-go waits retryPeriod to retryPeriod × (1 + 1.2) between tries of a standby. */
const JITTER_FACTOR = 1.2;

/** Where the leader Lease is, who this agent is, and client-go's three timings. */
export interface LeaderElectorOptions {
  /** A client without a write fence: the elector's own writes decide who may write. */
  client: KubeClient;
  /** Namespace of the leader Lease. */
  namespace: string;
  /** Name of the leader Lease. */
  name: string;
  /** Who this agent is in `spec.holderIdentity`; unique per process. */
  identity: string;
  /** How long a standby waits, from the last change it saw, before it takes a lease over. */
  leaseDurationMs?: number;
  /** How long the holder keeps trying to renew before it stops (shorter than the lease duration). */
  renewDeadlineMs?: number;
  /** Time between tries, for the holder and the standbys. */
  retryPeriodMs?: number;
  /**
   * The Node the lease belongs to, once registered: the lease then gets it as owner reference, so
   * it is deleted with the Node (as the kubelet's node Lease is).
   */
  owner?: () => V1OwnerReference | undefined;
  logger?: Logger;
  /** For `vkubelet_leader` (1 while holding) and `vkubelet_leader_transitions_total{event}`. */
  metrics?: MetricMeter;
  /** The fence this election opens and closes (default a new, closed one). */
  fence?: WriteFence;
}

/** The holder lost the lease (taken over, or not renewed within the renew deadline). */
export class LeadershipLostError extends Error {
  override readonly name = 'LeadershipLostError';
}

interface Observed {
  /** holderIdentity, renewTime and resourceVersion: any change means the holder is alive. */
  fingerprint: string;
  /** When this agent saw it change (monotonic clock). */
  at: number;
}

/**
 * Leader election on a coordination Lease, as client-go's: the holder renews every retry period and
 * stops writing (closes `fence`, synchronously) when it has not renewed for the renew deadline or
 * finds another holder; a standby takes the lease over once it has seen no renewal for the lease
 * duration, counted on its own clock from the moment it last saw a change, so clocks need not agree.
 * The holder's fence closes at (send time of its last successful renewal + renew deadline), which is
 * before any standby's (time it saw that renewal + lease duration): two agents never write at once.
 */
export class LeaderElector {
  /** Closed until the lease is acquired; open while held; closed for good once lost. */
  readonly fence: WriteFence;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly logger: Logger;
  private readonly transitions;
  private readonly leading;
  /** The lease as last read or written. */
  private lease: V1Lease | undefined;
  private observed: Observed | undefined;
  /** Until when (monotonic) the holder may write: send time of the last renewal + renew deadline. */
  private validUntil = 0;
  private lossTimer: NodeJS.Timeout | undefined;
  private lostWith: ((err: LeadershipLostError) => void) | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    this.fence = options.fence ?? WriteFence.closed();
    this.leaseDurationMs = options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = options.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = options.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    const problem = validateTimings(this.leaseDurationMs, this.renewDeadlineMs, this.retryPeriodMs);
    if (problem) throw new RangeError(`leader election: ${problem}`);
    this.logger = (options.logger ?? noopLogger).child({ component: 'leader-election', lease: this.key });
    const meter = options.metrics ?? noopMeter;
    this.transitions = meter.counter(
      'vkubelet_leader_transitions_total',
      'Leader lease acquisitions and losses of this agent.',
      ['event'],
    );
    this.leading = meter.gauge('vkubelet_leader', '1 while this agent holds the leader lease, else 0.');
    this.leading.set(0);
  }

  private get key(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }

  /** Resolves once this agent holds the lease (the fence is open); rejects when `signal` aborts. */
  async acquire(signal: AbortSignal): Promise<void> {
    this.logger.info('waiting to acquire the leader lease', { identity: this.options.identity });
    let lastWaitingFor: string | undefined;
    for (;;) {
      signal.throwIfAborted();
      const started = performance.now();
      try {
        // A request that hangs (a partition) must not keep the standby from trying again.
        if (await withDeadline(signal, this.renewDeadlineMs, s => this.tryAcquireOrRenew(s))) {
          this.becomeLeader(started);
          return;
        }
        const holder = this.lease?.spec?.holderIdentity;
        if (holder && holder !== lastWaitingFor) {
          lastWaitingFor = holder;
          this.logger.info('the leader lease is held by another agent; standing by', { holder });
        }
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        // Retrying cannot help: the identity may not use this Lease (RBAC, or NodeRestriction, which
        // lets a node identity write no Lease but kube-node-lease/<its node name>).
        if (isKubeForbidden(err)) {
          throw new Error(`this identity may not use the leader Lease ${this.key}: ${errorMessage(err)}`, {
            cause: err,
          });
        }
        this.logger.warn('trying to acquire the leader lease failed', { err: errorMessage(err) });
      }
      await abortableSleep(this.retryPeriodMs * (1 + Math.random() * JITTER_FACTOR), signal);
    }
  }

  /**
   * Renews the lease until `signal` aborts (then releases it, so a standby takes over at once) or
   * the lease is lost: then the fence is already closed and this rejects with LeadershipLostError.
   */
  async hold(signal: AbortSignal): Promise<void> {
    if (!this.fence.isOpen) throw new Error('hold() needs the lease: call acquire() first');
    const lost = new Promise<never>((_, reject) => (this.lostWith = reject));
    lost.catch(() => {});
    const renewing = (async () => {
      while (!signal.aborted && this.fence.isOpen) {
        await Promise.race([abortableSleep(this.retryPeriodMs, signal), lost.catch(() => {})]);
        if (signal.aborted || !this.fence.isOpen) return;
        const started = performance.now();
        try {
          // Past the renew deadline an answer no longer counts: stop waiting for it then.
          const left = Math.max(1, this.validUntil - performance.now());
          const held = await withDeadline(signal, left, s => this.tryAcquireOrRenew(s));
          // The renew deadline may have passed while the call was out: then it no longer counts.
          if (!this.fence.isOpen) return;
          if (held) {
            this.renewed(started);
          } else {
            this.lose(`the lease is held by ${this.lease?.spec?.holderIdentity ?? 'another agent'}`);
          }
        } catch (err) {
          if (signal.aborted || !this.fence.isOpen) return;
          this.logger.warn('renewing the leader lease failed; retrying until the renew deadline', {
            err: errorMessage(err),
            leftMs: Math.round(this.validUntil - performance.now()),
          });
        }
      }
    })();
    await Promise.race([renewing, lost]);
    if (!this.fence.isOpen) await lost;
    await this.release();
  }

  /** True when this agent may write now. */
  get isLeader(): boolean {
    return this.fence.isOpen;
  }

  private becomeLeader(sentAt: number): void {
    this.fence.open();
    this.renewed(sentAt);
    this.transitions.add(1, { event: 'acquired' });
    this.leading.set(1);
    this.logger.info('acquired the leader lease', { identity: this.options.identity });
  }

  private renewed(sentAt: number): void {
    this.validUntil = sentAt + this.renewDeadlineMs;
    clearTimeout(this.lossTimer);
    const left = this.validUntil - performance.now();
    if (left <= 0) {
      this.lose(`the renewal took longer than the renew deadline (${this.renewDeadlineMs} ms)`);
      return;
    }
    this.lossTimer = setTimeout(
      () => this.lose(`the lease was not renewed within the renew deadline (${this.renewDeadlineMs} ms)`),
      left,
    );
  }

  /** Closes the fence at once (aborting every write in flight), then reports the loss. */
  private lose(why: string): void {
    if (!this.fence.isOpen) return;
    this.fence.close(`lost the leader lease: ${why}`);
    clearTimeout(this.lossTimer);
    this.transitions.add(1, { event: 'lost' });
    this.leading.set(0);
    this.logger.error('lost the leader lease; stopped writing', { reason: why });
    this.lostWith?.(new LeadershipLostError(`lost the leader lease ${this.key}: ${why}`));
  }

  /** On shutdown: stop writing, then hand the lease back so a standby need not wait for it to expire. */
  private async release(): Promise<void> {
    clearTimeout(this.lossTimer);
    if (!this.fence.isOpen) return;
    this.fence.close('shutting down');
    this.leading.set(0);
    const lease = this.lease;
    if (!lease || lease.spec?.holderIdentity !== this.options.identity) return;
    const now = microTime() as unknown as Date;
    try {
      await this.write(
        'PUT',
        {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
          },
        },
        AbortSignal.timeout(this.retryPeriodMs),
      );
      this.logger.info('released the leader lease');
    } catch (err) {
      this.logger.warn('releasing the leader lease failed; it expires on its own', {
        err: errorMessage(err),
      });
    }
  }

  /**
   * One round of client-go's tryAcquireOrRenew. True when this agent holds the lease after it;
   * false when another holder's lease has not expired; throws when the API server could not be asked.
   */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { identity } = this.options;
    // The holder renews from the lease it last wrote, without a GET; a conflict sends it to read.
    if (this.fence.isOpen && this.lease) {
      try {
        this.lease = await this.write('PUT', this.claimed(this.lease, 'renew'), signal);
        return true;
      } catch (err) {
        if (!isKubeConflict(err) && !isKubeNotFound(err)) throw err;
      }
    }
    let current: V1Lease | undefined;
    try {
      current = await this.options.client.requestJson<V1Lease>('GET', this.path(), { signal });
    } catch (err) {
      if (!isKubeNotFound(err)) throw err;
    }
    if (!current) {
      try {
        const fresh = this.claimed({ metadata: { name: this.options.name } }, 'create');
        this.lease = await this.write('POST', fresh, signal);
        return true;
      } catch (err) {
        if (isKubeAlreadyExists(err)) return false;
        throw err;
      }
    }
    this.lease = current;
    const spec = current.spec ?? {};
    const fingerprint = `${spec.holderIdentity ?? ''}|${String(spec.renewTime ?? '')}|${current.metadata?.resourceVersion ?? ''}`;
    if (this.observed?.fingerprint !== fingerprint) this.observed = { fingerprint, at: performance.now() };
    const holder = spec.holderIdentity ?? '';
    const heldByUs = holder === identity;
    // A released lease (empty holder) is free at once; another holder's, once it has not changed
    // for the duration it asks for (client-go uses the duration written in the lease, too).
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    if (holder !== '' && !heldByUs && performance.now() < this.observed.at + durationMs) return false;
    try {
      this.lease = await this.write('PUT', this.claimed(current, heldByUs ? 'renew' : 'take over'), signal);
      return true;
    } catch (err) {
      if (isKubeConflict(err)) return false;
      throw err;
    }
  }

  /** The lease with this agent as holder: created, renewed, or taken over (one more transition). */
  private claimed(lease: V1Lease, how: 'create' | 'renew' | 'take over'): V1Lease {
    const now = microTime() as unknown as Date;
    const spec = lease.spec ?? {};
    const owner = this.options.owner?.();
    const transitions = spec.leaseTransitions ?? 0;
    const { namespace, name, identity } = this.options;
    return leaseObject(
      lease,
      { namespace, name, ownerReferences: owner ? [owner] : undefined },
      {
        holderIdentity: identity,
        leaseDurationSeconds: this.leaseDurationMs / 1000,
        renewTime: now,
        acquireTime: how === 'renew' ? (spec.acquireTime ?? now) : now,
        leaseTransitions: how === 'take over' ? transitions + 1 : transitions,
      },
    );
  }

  private async write(method: 'PUT' | 'POST', lease: V1Lease, signal: AbortSignal): Promise<V1Lease> {
    const path =
      method === 'PUT'
        ? this.path()
        : `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/leases`;
    return this.options.client.requestJson<V1Lease>(method, path, { body: lease, signal });
  }

  private path(): string {
    const { namespace, name } = this.options;
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases/${encodeURIComponent(name)}`;
  }
}

/** Why these timings cannot work (client-go's rules), or undefined when they can. */
export function validateTimings(
  leaseDurationMs: number,
  renewDeadlineMs: number,
  retryPeriodMs: number,
): string | undefined {
  for (const [name, value] of [
    ['lease duration', leaseDurationMs],
    ['renew deadline', renewDeadlineMs],
    ['retry period', retryPeriodMs],
  ] as const) {
    if (!(Number.isFinite(value) && value > 0)) return `the ${name} must be longer than 0`;
  }
  if (leaseDurationMs <= renewDeadlineMs) return 'the lease duration must be longer than the renew deadline';
  if (renewDeadlineMs <= JITTER_FACTOR * retryPeriodMs) {
    return `the renew deadline must be longer than ${JITTER_FACTOR} × the retry period`;
  }
  if (leaseDurationMs % 1000 !== 0) return 'the lease duration must be a whole number of seconds';
  return undefined;
}
