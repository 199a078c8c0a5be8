import type { V1Node, V1NodeCondition, V1NodeStatus, V1Taint } from '@kubernetes/client-node';

import type { Logger, MetricMeter, NodeProvider } from '@vkubelet/provider-kit';
import { errorMessage } from '@vkubelet/provider-kit';

import { isKubeNotFound, KubeApiError, type KubeClient } from '../kube/client.js';
import { abortableSleep } from '../util/abortable-sleep.js';

export interface NodeControllerOptions {
  client: KubeClient;
  /** The Node to register, already completed by the provider's `configureNode`. */
  template: V1Node;
  provider: NodeProvider;
  /** Taint keys this agent manages (its own taint, configured or not), so others' taints are kept. */
  managedTaintKeys: readonly string[];
  /**
   * Label keys the user asked for (`--node-labels`). The API server refusing one of these is a
   * warning; refusing a default label (`kubernetes.io/role`, which NodeRestriction keeps from every
   * node identity) is expected and only logged at debug level.
   */
  requestedLabelKeys?: readonly string[];
  logger: Logger;
  metrics: MetricMeter;
  /** How often the full status is written even when nothing changed (default 60 s). */
  statusIntervalMs?: number;
  /** How often the provider is pinged (default 10 s). */
  pingIntervalMs?: number;
  /** A ping slower than this counts as a failure (default 5 s). */
  pingTimeoutMs?: number;
}

const REGISTER_MIN_BACKOFF_MS = 200;
const REGISTER_MAX_BACKOFF_MS = 7_000;

/** No answer at all, or an answer that may be different next time (throttled, server errors, conflicts). */
function isRetryable(err: unknown): boolean {
  if (!(err instanceof KubeApiError)) return true;
  return err.code === 409 || err.code === 429 || err.code >= 500;
}

interface Health {
  healthy: boolean;
  message: string;
}

/**
 * Registers the Node and keeps its status current. Status goes out as a strategic-merge patch of the
 * status subresource that names only this agent's condition types, so conditions other writers add
 * (node-problem-detector, the node lifecycle controller) stay. A Node deleted by someone is registered
 * again on the next write. Ready follows the provider's ping, which runs with a timeout on its own
 * loop so a hung backend cannot stall the status or the lease.
 */
export class NodeController {
  private readonly statusIntervalMs: number;
  private readonly pingIntervalMs: number;
  private readonly pingTimeoutMs: number;
  private desired: V1Node;
  private registered: V1Node | undefined;
  private health: Health = { healthy: true, message: '' };
  private wake: (() => void) | undefined;
  private pending = false;
  private readonly transitions = new Map<string, { status: string; time: Date }>();
  private readonly statusWrites;

  constructor(private readonly options: NodeControllerOptions) {
    this.desired = structuredClone(options.template);
    this.statusIntervalMs = options.statusIntervalMs ?? 60_000;
    this.pingIntervalMs = options.pingIntervalMs ?? 10_000;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 5_000;
    this.statusWrites = options.metrics.counter(
      'vkubelet_node_status_writes_total',
      'Node status patches by result.',
      ['result'],
    );
  }

  /** UID of the Node as registered, for the lease owner reference. */
  nodeUid(): string | undefined {
    return this.registered?.metadata?.uid;
  }

  /**
   * Registers the Node (or adopts and reconciles an existing one). Resolves once it exists. While
   * the API server cannot be reached or answers 429/5xx (restarting, etcd down) it retries with
   * backoff until `signal` aborts (the start-up timeout); an answer that will not change (403, 400)
   * fails at once. `retrying` hears of each failure that is retried.
   */
  async register(signal: AbortSignal, retrying?: (err: unknown) => void): Promise<V1Node> {
    this.options.provider.notifyNodeStatus?.(node => this.applyProviderStatus(node));
    await this.pingOnce(signal);
    for (
      let backoffMs = REGISTER_MIN_BACKOFF_MS;
      ;
      backoffMs = Math.min(backoffMs * 2, REGISTER_MAX_BACKOFF_MS)
    ) {
      try {
        return await this.ensureNode(signal);
      } catch (err) {
        if (signal.aborted || !isRetryable(err)) throw err;
        retrying?.(err);
        this.options.logger.warn('registering the node failed; retrying', { err, retryInMs: backoffMs });
        await abortableSleep(backoffMs, signal);
      }
    }
  }

  /** Runs the ping and status loops until `signal` aborts. Call after `register`. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.pingLoop(signal), this.statusLoop(signal)]);
  }

  /** Asks for a status write soon (provider push, health change, node gone). */
  requestStatusUpdate(): void {
    this.pending = true;
    this.wake?.();
  }

  private applyProviderStatus(node: V1Node): void {
    const status = node.status ?? {};
    const current = this.desired.status ?? {};
    this.desired = {
      ...this.desired,
      metadata: {
        ...this.desired.metadata,
        labels: { ...this.desired.metadata?.labels, ...node.metadata?.labels },
      },
      status: {
        ...current,
        capacity: status.capacity ?? current.capacity,
        allocatable: status.allocatable ?? current.allocatable,
        addresses: status.addresses ?? current.addresses,
        conditions: mergeConditions(current.conditions ?? [], status.conditions ?? []),
      },
    };
    this.requestStatusUpdate();
  }

  private async pingLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await abortableSleep(this.pingIntervalMs, signal);
      if (signal.aborted) return;
      await this.pingOnce(signal);
    }
  }

  private async pingOnce(signal: AbortSignal): Promise<void> {
    const provider = this.options.provider;
    if (!provider.ping) return;
    const timeout = AbortSignal.timeout(this.pingTimeoutMs);
    const callSignal = AbortSignal.any([signal, timeout]);
    let next: Health;
    try {
      // The race keeps a provider that ignores its signal from holding the loop.
      await Promise.race([
        provider.ping({ signal: callSignal }),
        new Promise<never>((_, reject) =>
          callSignal.addEventListener(
            'abort',
            () => reject(new Error(`provider ping timed out after ${this.pingTimeoutMs} ms`)),
            {
              once: true,
            },
          ),
        ),
      ]);
      next = { healthy: true, message: '' };
    } catch (err) {
      if (signal.aborted) return;
      next = { healthy: false, message: errorMessage(err) };
    }
    if (next.healthy !== this.health.healthy || next.message !== this.health.message) {
      this.options.logger[next.healthy ? 'info' : 'warn'](
        next.healthy ? 'provider is healthy again' : 'provider ping failed',
        { reason: next.message },
      );
      this.health = next;
      this.requestStatusUpdate();
    }
  }

  private async statusLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!this.pending) {
        await new Promise<void>(resolve => {
          this.wake = resolve;
          void abortableSleep(this.statusIntervalMs, signal).then(resolve);
        });
        this.wake = undefined;
      }
      if (signal.aborted) return;
      this.pending = false;
      try {
        await this.writeStatus(signal);
        this.statusWrites.add(1, { result: 'ok' });
      } catch (err) {
        if (signal.aborted) return;
        this.statusWrites.add(1, { result: 'error' });
        this.options.logger.warn('failed to update node status', { err });
        await abortableSleep(1_000, signal);
        this.pending = true;
      }
    }
  }

  private async writeStatus(signal: AbortSignal): Promise<void> {
    try {
      this.registered = await this.options.client.patch<V1Node>(
        `/api/v1/nodes/${encodeURIComponent(this.name)}/status`,
        { status: this.statusPatch() },
        'strategic',
        signal,
      );
    } catch (err) {
      if (!isKubeNotFound(err)) throw err;
      this.options.logger.warn('node was deleted; registering it again');
      this.registered = undefined;
      await this.ensureNode(signal);
    }
  }

  private get name(): string {
    return this.desired.metadata!.name!;
  }

  private async ensureNode(signal: AbortSignal): Promise<V1Node> {
    let existing: V1Node | undefined;
    try {
      existing = await this.options.client.requestJson<V1Node>(
        'GET',
        `/api/v1/nodes/${encodeURIComponent(this.name)}`,
        {
          signal,
        },
      );
    } catch (err) {
      if (!isKubeNotFound(err)) throw err;
    }
    if (!existing) {
      existing = await this.createNode(signal);
      this.options.logger.info('registered node', { node: this.name, uid: existing.metadata?.uid });
    } else {
      existing = await this.reconcileMetadata(existing, signal);
    }
    this.registered = existing;
    this.registered = await this.options.client.patch<V1Node>(
      `/api/v1/nodes/${encodeURIComponent(this.name)}/status`,
      { status: this.statusPatch() },
      'strategic',
      signal,
    );
    return this.registered;
  }

  private async createNode(signal: AbortSignal): Promise<V1Node> {
    const node = structuredClone(this.desired);
    node.status = this.fullStatus();
    for (;;) {
      try {
        return await this.options.client.requestJson<V1Node>('POST', '/api/v1/nodes', { body: node, signal });
      } catch (err) {
        // NodeRestriction refuses some labels to node identities (kubernetes.io/role among them).
        const refused = refusedLabels(err);
        if (refused.length === 0) throw err;
        this.reportRefusedLabels(refused);
        for (const key of refused) {
          delete node.metadata!.labels![key];
          delete this.desired.metadata!.labels![key];
        }
      }
    }
  }

  /** Once per refusal (the refused labels leave `desired`), and a warning only for labels the user set. */
  private reportRefusedLabels(refused: readonly string[]): void {
    const requested = refused.filter(key => this.options.requestedLabelKeys?.includes(key));
    if (requested.length > 0) {
      this.options.logger.warn(
        'the API server refused node labels for this identity; registering without them',
        {
          labels: requested,
        },
      );
    }
    const defaults = refused.filter(key => !requested.includes(key));
    if (defaults.length > 0) {
      this.options.logger.debug('default node labels refused for this identity', { labels: defaults });
    }
  }

  /** Brings our labels and taints back in line on an existing Node, keeping everyone else's. */
  private async reconcileMetadata(existing: V1Node, signal: AbortSignal): Promise<V1Node> {
    const desiredLabels = this.desired.metadata?.labels ?? {};
    const labelDrift = Object.entries(desiredLabels).filter(([k, v]) => existing.metadata?.labels?.[k] !== v);
    const desiredTaints = this.desiredTaints(existing.spec?.taints ?? []);
    const taintDrift = !sameTaints(desiredTaints, existing.spec?.taints ?? []);
    let node = existing;
    const path = `/api/v1/nodes/${encodeURIComponent(this.name)}`;
    let labelsToSet = Object.fromEntries(labelDrift);
    while (Object.keys(labelsToSet).length > 0) {
      try {
        node = await this.options.client.patch<V1Node>(
          path,
          { metadata: { labels: labelsToSet } },
          'merge',
          signal,
        );
        break;
      } catch (err) {
        const refused = refusedLabels(err);
        if (refused.length === 0) throw err;
        // NodeRestriction keeps some label domains away from node identities; set the rest.
        this.reportRefusedLabels(refused);
        labelsToSet = Object.fromEntries(Object.entries(labelsToSet).filter(([k]) => !refused.includes(k)));
        for (const key of refused) delete this.desired.metadata!.labels![key];
      }
    }
    if (taintDrift) {
      try {
        node = await this.options.client.patch<V1Node>(
          path,
          { metadata: { resourceVersion: node.metadata?.resourceVersion }, spec: { taints: desiredTaints } },
          'merge',
          signal,
        );
      } catch (err) {
        if (!(err instanceof KubeApiError) || err.code !== 403) throw err;
        // NodeRestriction lets a node set taints only when it registers.
        this.options.logger.warn(
          'node taints differ from the configuration but this identity may not change them; ' +
            'apply them with `kubectl taint` or delete the Node so it registers again',
          { desired: desiredTaints, actual: existing.spec?.taints ?? [], reason: err.message },
        );
      }
    }
    return node;
  }

  private desiredTaints(actual: V1Taint[]): V1Taint[] {
    const managed = new Set(this.options.managedTaintKeys);
    return [...actual.filter(t => !managed.has(t.key)), ...(this.desired.spec?.taints ?? [])];
  }

  /** The status as written on creation. */
  private fullStatus(): V1NodeStatus {
    return { ...this.desired.status, ...this.statusPatch() };
  }

  /** What each status write sends: our conditions (by type), capacity, addresses, endpoints, info. */
  private statusPatch(): V1NodeStatus {
    const now = new Date();
    const status = this.desired.status ?? {};
    const conditions = (status.conditions ?? []).map(c => this.stamp(this.withHealth(c), now));
    return {
      capacity: status.capacity,
      allocatable: status.allocatable,
      addresses: status.addresses,
      daemonEndpoints: status.daemonEndpoints,
      nodeInfo: status.nodeInfo,
      conditions,
    };
  }

  private withHealth(condition: V1NodeCondition): V1NodeCondition {
    if (condition.type !== 'Ready') return condition;
    if (!this.health.healthy) {
      return {
        ...condition,
        status: 'False',
        reason: 'ProviderUnhealthy',
        message: `provider ping failed: ${this.health.message}`,
      };
    }
    if (
      condition.reason === 'KubeletPending' ||
      condition.reason === 'ProviderUnhealthy' ||
      !condition.reason
    ) {
      return {
        ...condition,
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
      };
    }
    return condition;
  }

  /** Heartbeat now; transition time moves only when the status of that condition changes. */
  private stamp(condition: V1NodeCondition, now: Date): V1NodeCondition {
    const previous = this.transitions.get(condition.type);
    const transition = previous && previous.status === condition.status ? previous.time : now;
    this.transitions.set(condition.type, { status: condition.status, time: transition });
    return { ...condition, lastHeartbeatTime: now, lastTransitionTime: transition };
  }
}

function mergeConditions(current: V1NodeCondition[], pushed: V1NodeCondition[]): V1NodeCondition[] {
  const byType = new Map(current.map(c => [c.type, c]));
  for (const c of pushed) byType.set(c.type, c);
  return [...byType.values()];
}

function sameTaints(a: V1Taint[], b: V1Taint[]): boolean {
  const key = (t: V1Taint) => `${t.key}=${t.value ?? ''}:${t.effect}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

function refusedLabels(err: unknown): string[] {
  if (!(err instanceof KubeApiError) || err.code !== 403) return [];
  const match = /not allowed to (?:set the following|modify) labels: (.*)$/.exec(
    err.status?.message ?? err.message,
  );
  return match
    ? match[1]!
        .split(',')
        .map(s => s.trim())
        .filter(Boolean)
    : [];
}
