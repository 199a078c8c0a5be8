import { noopLogger, noopMeter, type Logger, type MetricMeter } from '@vkubelet/provider-kit';

import { DueHeap } from './due-heap.js';
import { createWorkQueueMetrics, type WorkQueueMetrics } from './work-queue-metrics.js';

/** How a key came to be handled now. */
export interface WorkItem {
  /** Time the key waited past the moment it was due (for a worker, or behind its own earlier run). */
  waitMs: number;
  /** 1 for a first run, n + 1 after n failures in a row. */
  attempt: number;
}

export type WorkHandler = (key: string, signal: AbortSignal, item: WorkItem) => Promise<void>;

export interface WorkQueueOptions {
  /** Names the queue in logs and in the `name` label of its metrics. */
  name: string;
  /** How many keys are handled at once (at least 1). */
  workers: number;
  handler: WorkHandler;
  /** Delay before the first retry of a failed key; doubles with every further failure. */
  baseBackoffMs?: number;
  /** Cap of the per-key retry delay. */
  maxBackoffMs?: number;
  /** Failures after which a key is dropped; retried for ever by default. */
  maxAttempts?: number;
  /** Told every failure (attempt counts from 1), so the caller can write status or events. */
  onError?: (key: string, err: unknown, attempt: number) => void;
  metrics?: MetricMeter;
  logger?: Logger;
}

/** Fraction of a retry delay taken off at random, so keys failing together do not retry together. */
const JITTER = 0.2;

interface Scheduled {
  dueAt: number;
  seq: number;
}

/**
 * A keyed, deduplicated work queue. A key is queued at most once and handled by at most one worker
 * at a time; a key enqueued while it is being handled runs again afterwards. Failures are retried
 * with per-key exponential backoff; first-time work is never paced, so a burst of new pods starts at
 * once (up to `workers` at a time).
 */
export class WorkQueue {
  readonly name: string;
  private readonly handler: WorkHandler;
  private readonly workers: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxAttempts: number;
  private readonly onError: WorkQueueOptions['onError'];
  private readonly logger: Logger;
  private readonly metrics: WorkQueueMetrics;

  /** Keys waiting to run (now or later), with the time they are due. */
  private readonly queued = new Map<string, Scheduled>();
  private readonly heap = new DueHeap();
  /** Keys being handled, mapped to the earliest time they were asked to run again (if at all). */
  private readonly active = new Map<string, number | undefined>();
  /** Keys being handled whose failure must not be retried: `forget()` was called meanwhile. */
  private readonly forgotten = new Set<string>();
  /** Failures so far of keys that have not succeeded since. */
  private readonly failures = new Map<string, number>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = Infinity;
  private running = false;
  private stopping = false;
  private runSignal: AbortSignal | undefined;
  private drained: (() => void) | undefined;

  constructor(options: WorkQueueOptions) {
    if (!options.name) throw new TypeError('WorkQueue: name must not be empty');
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new TypeError(
        `WorkQueue ${options.name}: workers must be an integer >= 1, got ${options.workers}`,
      );
    }
    this.name = options.name;
    this.handler = options.handler;
    this.workers = options.workers;
    this.baseBackoffMs = positive(options.baseBackoffMs ?? 5, 'baseBackoffMs', options.name);
    this.maxBackoffMs = positive(options.maxBackoffMs ?? 300_000, 'maxBackoffMs', options.name);
    this.maxAttempts = positive(options.maxAttempts ?? Infinity, 'maxAttempts', options.name);
    this.onError = options.onError;
    this.logger = (options.logger ?? noopLogger).child({ queue: options.name });
    this.metrics = createWorkQueueMetrics(options.metrics ?? noopMeter, options.name);
  }

  /** Keys waiting to run, including delayed ones and keys due to run again after their current run. */
  get length(): number {
    let redo = 0;
    for (const again of this.active.values()) if (again !== undefined) redo++;
    return this.queued.size + redo;
  }

  /** Keys being handled right now. */
  get inFlight(): number {
    return this.active.size;
  }

  /**
   * Queue `key` to run as soon as a worker is free. Like client-go's `Add`, this also cuts short a
   * pending retry delay of a failing key (its failure count stays, so a further failure backs off
   * longer); callers should not enqueue on changes they caused themselves (e.g. their own status
   * writes), or a failing key retries without pause.
   */
  enqueue(key: string): void {
    this.schedule(key, Date.now());
  }

  /** Queue `key` to run after `ms`; if it is already queued to run earlier, that stays. */
  enqueueAfter(key: string, ms: number): void {
    this.schedule(key, Date.now() + Math.max(0, ms));
  }

  /** Drop `key` from the queue (and its re-run after a current run) and reset its backoff. */
  forget(key: string): void {
    if (this.queued.delete(key)) this.metrics.depth.set(this.queued.size);
    if (this.active.has(key)) {
      this.active.set(key, undefined);
      this.forgotten.add(key);
    }
    this.failures.delete(key);
  }

  /**
   * Handle keys until `signal` aborts, then stop taking new keys and resolve once running handlers
   * have returned (their signal aborts too). Keys still queued stay queued.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error(`WorkQueue ${this.name} is already running`);
    this.running = true;
    this.stopping = false;
    this.runSignal = signal;
    const drained = new Promise<void>(resolve => (this.drained = resolve));
    const stop = (): void => {
      this.stopping = true;
      this.clearTimer();
      this.resolveIfDrained();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    this.pump();
    await drained;
    signal.removeEventListener('abort', stop);
    this.running = false;
    this.runSignal = undefined;
  }

  private schedule(key: string, dueAt: number): void {
    this.metrics.adds.add();
    if (this.active.has(key)) {
      const again = this.active.get(key);
      this.active.set(key, again === undefined ? dueAt : Math.min(again, dueAt));
      this.forgotten.delete(key);
      return;
    }
    const current = this.queued.get(key);
    if (current !== undefined && current.dueAt <= dueAt) return;
    this.push(key, dueAt);
    this.pump();
  }

  private push(key: string, dueAt: number): void {
    const seq = ++this.seq;
    this.queued.set(key, { dueAt, seq });
    this.heap.push({ key, dueAt, seq });
    this.metrics.depth.set(this.queued.size);
  }

  /** Start handlers for due keys while workers are free, and arm a timer for the next due key. */
  private pump(): void {
    if (!this.running || this.stopping) return;
    const now = Date.now();
    while (this.active.size < this.workers) {
      const head = this.heap.peek();
      if (head === undefined) break;
      const live = this.queued.get(head.key);
      if (live?.seq !== head.seq) {
        this.heap.pop();
        continue;
      }
      if (head.dueAt > now) break;
      this.heap.pop();
      this.queued.delete(head.key);
      this.metrics.depth.set(this.queued.size);
      this.metrics.latency.observe((now - head.dueAt) / 1000);
      void this.process(head.key, now - head.dueAt);
    }
    this.armTimer(now);
  }

  private armTimer(now: number): void {
    const head = this.nextLive();
    if (head === undefined || this.active.size >= this.workers) {
      this.clearTimer();
      return;
    }
    if (this.timer !== undefined && this.timerDueAt <= head.dueAt) return;
    this.clearTimer();
    this.timerDueAt = head.dueAt;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerDueAt = Infinity;
        this.pump();
      },
      Math.max(0, head.dueAt - now),
    );
  }

  private nextLive(): { key: string; dueAt: number } | undefined {
    for (;;) {
      const head = this.heap.peek();
      if (head === undefined || this.queued.get(head.key)?.seq === head.seq) return head;
      this.heap.pop();
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = Infinity;
  }

  private async process(key: string, waitMs: number): Promise<void> {
    this.active.set(key, undefined);
    const started = performance.now();
    let failure: { err: unknown } | undefined;
    try {
      const item = { waitMs, attempt: (this.failures.get(key) ?? 0) + 1 };
      await this.handler(key, this.runSignal ?? AbortSignal.abort(), item);
    } catch (err) {
      failure = { err };
    }
    this.metrics.duration.observe((performance.now() - started) / 1000);
    const again = this.active.get(key);
    const forgotten = this.forgotten.delete(key);
    this.active.delete(key);
    let retryAt: number | undefined;
    if (failure === undefined) this.failures.delete(key);
    else if (!forgotten) retryAt = this.recordFailure(key, failure.err);
    const nextAt = again === undefined ? retryAt : Math.min(again, retryAt ?? again);
    if (nextAt !== undefined) this.push(key, nextAt);
    this.resolveIfDrained();
    this.pump();
  }

  /** Count a failure, tell `onError`, and return when to retry (undefined: give up). */
  private recordFailure(key: string, err: unknown): number | undefined {
    const attempt = (this.failures.get(key) ?? 0) + 1;
    try {
      this.onError?.(key, err, attempt);
    } catch (hookErr) {
      this.logger.error('onError hook threw', { key, err: hookErr });
    }
    if (attempt >= this.maxAttempts) {
      this.failures.delete(key);
      this.logger.warn('dropping key after maximum attempts', { key, attempts: attempt, err });
      return undefined;
    }
    this.failures.set(key, attempt);
    this.metrics.retries.add();
    const delay = this.backoffFor(attempt);
    this.logger.debug('retrying key after failure', { key, attempt, delayMs: Math.round(delay), err });
    return Date.now() + delay;
  }

  /** The retry delay after `attempt` failures: exponential, capped, with up to 20 % taken off at random. */
  backoffFor(attempt: number): number {
    const exponential = this.baseBackoffMs * 2 ** Math.min(attempt - 1, 1023);
    const capped = Math.min(this.maxBackoffMs, exponential);
    return capped * (1 - JITTER * Math.random());
  }

  private resolveIfDrained(): void {
    if (this.stopping && this.active.size === 0 && this.drained) {
      const resolve = this.drained;
      this.drained = undefined;
      resolve();
    }
  }
}

function positive(value: number, what: string, name: string): number {
  if (!(value > 0)) throw new TypeError(`WorkQueue ${name}: ${what} must be > 0, got ${value}`);
  return value;
}
