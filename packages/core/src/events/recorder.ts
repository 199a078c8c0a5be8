import type { V1Pod } from '@kubernetes/client-node';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import {
  noopLogger,
  noopMeter,
  type Logger,
  type MetricCounter,
  type MetricMeter,
} from '@vkubelet/provider-kit';

import { microTime } from '../node/micro-time.js';
import type { EventObject, EventSink } from './sink.js';
import type { EventType, PodEventRecorder } from './types.js';

export interface EventRecorderOptions {
  nodeName: string;
  sink: EventSink;
  /**
   * `reportingController` of every event, which kubectl shows as "From". Default `<node>/pod-controller`,
   * upstream's event source, so `kubectl describe pod` reads as it did with upstream.
   */
  reportingController?: string;
  /** Repeats of an identical event within this window advance one event's series (client-go: 6 min). */
  seriesWindowMs?: number;
  /** A series is written at most this often while repeats keep coming (client-go heartbeat: 30 min). */
  seriesFlushMs?: number;
  /** New (non-repeat) events per object: burst, then one more per `refillMs` (client-go spam filter: 25 / 5 min). */
  perObjectBurst?: number;
  perObjectRefillMs?: number;
  /**
   * New Normal events per second for the whole node (default 20), and the burst above it (default
   * 50); beyond them Normal events are dropped (counted in `vkubelet_events_dropped_total{why=
   * "node-rate"}`), so a node starting or stopping hundreds of pods a second spends its API requests
   * on pods, not on success notes. The kubelet writes at most 50 events a second (`eventRecordQPS`)
   * and about four Normal ones per pod start (Pulled, Created, Started, Killing), so it documents
   * about 12 pod starts a second; one Normal event per pod step at 20 a second documents more.
   * Warnings are not limited by this (only per object). 0 turns the limit off.
   */
  normalQps?: number;
  /** How many Normal events may go out at once before `normalQps` paces them (default 50). */
  normalBurst?: number;
  /** Writes waiting beyond this are dropped, oldest first, so a stalled API server cannot grow memory. */
  maxPending?: number;
  /**
   * Series remembered for aggregation (default 4096, client-go's event cache size); beyond it the
   * least recently started series is forgotten (a repeat then starts a new Event object), so memory
   * stays flat on a node that starts thousands of pods.
   */
  maxSeries?: number;
  logger?: Logger;
  metrics?: MetricMeter;
}

/**
 * Upstream's event source `<node>/pod-controller`. events.k8s.io/v1 refuses `deprecatedSource`, and
 * kubectl shows `reportingController` as "From", so this becomes the reporting controller; a node
 * name too long for it (128) falls back to a fixed name.
 */
export function podControllerComponent(nodeName: string): string {
  const component = `${nodeName}/pod-controller`;
  return component.length <= 128 ? component : 'vkubelet.io/pod-controller';
}

interface Series {
  namespace: string;
  name: string;
  event: EventObject;
  count: number;
  lastObserved: number;
  /** Count last written to the API server. */
  writtenCount: number;
  flushTimer: NodeJS.Timeout | undefined;
  /** Set once the create has succeeded, so replaces can follow it. */
  created: boolean;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Records events.k8s.io/v1 Events about pods, like the client-go events library the kubelet uses:
 * - an identical event (same pod UID, type, reason, note) repeated within the series window is not a
 *   new object: its `series.count` and `lastObservedTime` advance, written at most every flush interval;
 * - new events per pod are limited by a token bucket, so a pod failing in a loop cannot flood the API;
 * - writes run one at a time in the background; `event()` never blocks and never throws.
 */
export class EventRecorder implements PodEventRecorder {
  private readonly sink: EventSink;
  private readonly instance: string;
  private readonly controller: string;
  private readonly windowMs: number;
  private readonly flushMs: number;
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly maxPending: number;
  private readonly maxSeries: number;
  /** The node-wide bucket of new Normal events (continuous refill). */
  private readonly normal: { perMs: number; burst: number; tokens: number; updatedAt: number };
  private readonly logger: Logger;
  private readonly written: MetricCounter;
  private readonly dropped: MetricCounter;
  private readonly series = new Map<string, Series>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly pending: (() => Promise<void>)[] = [];
  private draining: Promise<void> | undefined;
  private sequence = 0;
  private nextPruneAt = 0;
  private closed = false;

  constructor(options: EventRecorderOptions) {
    if (!options.nodeName) throw new TypeError('EventRecorder: nodeName must not be empty');
    this.sink = options.sink;
    // kubelet's convention: the instance is the node.
    this.instance = truncate(options.nodeName, 128);
    this.controller = options.reportingController ?? podControllerComponent(options.nodeName);
    this.windowMs = options.seriesWindowMs ?? 6 * 60_000;
    this.flushMs = options.seriesFlushMs ?? 30_000;
    this.burst = options.perObjectBurst ?? 25;
    this.refillMs = options.perObjectRefillMs ?? 5 * 60_000;
    this.maxPending = options.maxPending ?? 1000;
    this.maxSeries = options.maxSeries ?? 4096;
    const normalBurst = options.normalBurst ?? 50;
    if (!((options.normalQps ?? 0) >= 0) || !Number.isInteger(normalBurst) || normalBurst < 1) {
      throw new TypeError('EventRecorder: normalQps must be >= 0 and normalBurst an integer >= 1');
    }
    this.normal = {
      perMs: (options.normalQps ?? 20) / 1000,
      burst: normalBurst,
      tokens: normalBurst,
      updatedAt: Date.now(),
    };
    this.logger = (options.logger ?? noopLogger).child({ component: 'event-recorder' });
    const meter = options.metrics ?? noopMeter;
    this.written = meter.counter('vkubelet_events_written_total', 'Event writes to the API server', [
      'result',
    ]);
    this.dropped = meter.counter('vkubelet_events_dropped_total', 'Events not written', ['why']);
  }

  event(regarding: V1Pod, type: EventType, reason: string, note: string, action = reason): void {
    if (this.closed) return;
    const meta = regarding.metadata;
    const namespace = meta?.namespace ?? 'default';
    const podName = meta?.name ?? '';
    const uid = meta?.uid ?? '';
    this.logger.info('event', { pod: `${namespace}/${podName}`, type, reason, note });
    const now = Date.now();
    const key = JSON.stringify([uid, namespace, podName, type, reason, action, note]);
    const existing = this.series.get(key);
    if (existing && now - existing.lastObserved <= this.windowMs) {
      existing.count++;
      existing.lastObserved = now;
      this.scheduleFlush(existing);
      return;
    }
    if (type === 'Normal' && !this.takeNormal(now)) {
      this.dropped.add(1, { why: 'node-rate' });
      return;
    }
    if (!this.take(uid || `${namespace}/${podName}`, now)) {
      if (type === 'Normal') this.normal.tokens += 1;
      this.dropped.add(1, { why: 'rate' });
      return;
    }
    const name = `${podName}.${this.uniqueSuffix(now)}`;
    const event: EventObject = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: microTime(new Date(now)),
      type,
      reason: truncate(reason, 128),
      action: truncate(action, 128),
      note: truncate(note, 1024),
      reportingController: this.controller,
      reportingInstance: this.instance,
      regarding: { apiVersion: 'v1', kind: 'Pod', namespace, name: podName, uid },
    };
    const series: Series = {
      namespace,
      name,
      event,
      count: 1,
      lastObserved: now,
      writtenCount: 1,
      flushTimer: undefined,
      created: false,
    };
    this.series.set(key, series);
    this.evictOldestSeries();
    this.prune(now);
    this.submit(async () => {
      await this.sink.create(namespace, event);
      series.created = true;
    });
  }

  /** Stops recording, writes pending series updates and waits for queued writes (bounded by `signal`). */
  async close(signal?: AbortSignal): Promise<void> {
    this.closed = true;
    for (const series of this.series.values()) {
      if (series.flushTimer) {
        clearTimeout(series.flushTimer);
        series.flushTimer = undefined;
        this.submitSeries(series);
      }
    }
    const drained = this.draining ?? Promise.resolve();
    if (!signal) return drained;
    await Promise.race([
      drained,
      new Promise<void>(resolve => signal.addEventListener('abort', () => resolve())),
    ]);
  }

  private uniqueSuffix(now: number): string {
    // client-go names events <object>.<unix nanos in hex>; a sequence keeps same-millisecond names apart.
    const nanos = BigInt(now) * 1_000_000n + BigInt(this.sequence++ % 1_000_000);
    return nanos.toString(16);
  }

  private take(objectKey: string, now: number): boolean {
    const bucket = this.buckets.get(objectKey) ?? { tokens: this.burst, updatedAt: now };
    const refill = Math.floor((now - bucket.updatedAt) / this.refillMs);
    if (refill > 0) {
      bucket.tokens = Math.min(this.burst, bucket.tokens + refill);
      bucket.updatedAt += refill * this.refillMs;
    }
    this.buckets.set(objectKey, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }

  private takeNormal(now: number): boolean {
    const bucket = this.normal;
    if (bucket.perMs <= 0) return true;
    bucket.tokens = Math.min(bucket.burst, bucket.tokens + (now - bucket.updatedAt) * bucket.perMs);
    bucket.updatedAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /**
   * Forgets series and buckets that can no longer matter, so memory follows live pods only. A scan
   * every 30 s at most: run per event, it cost a sixth of the agent's CPU on a 10,000-pod node.
   */
  private prune(now: number): void {
    if (now < this.nextPruneAt) return;
    this.nextPruneAt = now + PRUNE_INTERVAL_MS;
    for (const [key, series] of this.series) {
      if (now - series.lastObserved > this.windowMs && !series.flushTimer) this.series.delete(key);
    }
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.updatedAt > this.refillMs * this.burst) this.buckets.delete(key);
    }
  }

  /** Beyond maxSeries, the oldest series goes; a count it has not written yet is written first. */
  private evictOldestSeries(): void {
    for (const [key, series] of this.series) {
      if (this.series.size <= this.maxSeries) return;
      this.series.delete(key);
      if (series.flushTimer) {
        clearTimeout(series.flushTimer);
        series.flushTimer = undefined;
        this.submitSeries(series);
      }
    }
  }

  private scheduleFlush(series: Series): void {
    if (series.flushTimer) return;
    series.flushTimer = setTimeout(() => {
      series.flushTimer = undefined;
      this.submitSeries(series);
    }, this.flushMs);
    series.flushTimer.unref();
  }

  private submitSeries(series: Series): void {
    if (series.count === series.writtenCount) return;
    this.submit(async () => {
      if (!series.created) return;
      const count = series.count;
      const updated: EventObject = {
        ...series.event,
        series: { count, lastObservedTime: microTime(new Date(series.lastObserved)) },
      };
      const written = await this.sink.replace(series.namespace, series.name, updated);
      series.event = { ...updated, metadata: written.metadata ?? updated.metadata };
      series.writtenCount = count;
    });
  }

  private submit(write: () => Promise<void>): void {
    if (this.pending.length >= this.maxPending) {
      this.pending.shift();
      this.dropped.add(1, { why: 'backlog' });
    }
    // Each write joins the trace of whoever recorded the event (a pod's sync); the drain itself,
    // which runs the writes of many pods, belongs to none.
    this.pending.push(context.bind(context.active(), write));
    this.draining ??= context
      .with(ROOT_CONTEXT, () => this.drain())
      .finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    for (let write = this.pending.shift(); write; write = this.pending.shift()) {
      try {
        await write();
        this.written.add(1, { result: 'ok' });
      } catch (err) {
        this.written.add(1, { result: 'error' });
        this.logger.warn('failed to write event', { err: String(err) });
      }
    }
  }
}

const PRUNE_INTERVAL_MS = 30_000;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 3) + '...';
}
