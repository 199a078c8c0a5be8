import type { MetricLabels, MetricMeter } from '@vkubelet/provider-kit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { errorMessage } from '@vkubelet/provider-kit';

import { WorkQueue, type WorkQueueOptions } from '../../../src/queue/index.js';

/** A handler whose calls can be resolved or rejected one by one from the test. */
function controllableHandler() {
  const calls: { key: string; at: number; signal: AbortSignal }[] = [];
  const pending = new Map<string, { resolve: () => void; reject: (err: Error) => void }[]>();
  let running = 0;
  let maxRunning = 0;
  const perKeyRunning = new Map<string, number>();
  let overlap = false;
  const handler = (key: string, signal: AbortSignal): Promise<void> => {
    calls.push({ key, at: Date.now(), signal });
    running++;
    maxRunning = Math.max(maxRunning, running);
    const n = (perKeyRunning.get(key) ?? 0) + 1;
    if (n > 1) overlap = true;
    perKeyRunning.set(key, n);
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        running--;
        perKeyRunning.set(key, (perKeyRunning.get(key) ?? 1) - 1);
      };
      const list = pending.get(key) ?? [];
      list.push({
        resolve: () => (done(), resolve()),
        reject: err => (done(), reject(err)),
      });
      pending.set(key, list);
    });
  };
  return {
    handler,
    calls,
    keys: () => calls.map(c => c.key),
    finish(key: string, err?: Error) {
      const next = pending.get(key)?.shift();
      if (!next) throw new Error(`no pending call for ${key}`);
      if (err) next.reject(err);
      else next.resolve();
    },
    get maxRunning() {
      return maxRunning;
    },
    get overlap() {
      return overlap;
    },
  };
}

function startQueue(options: Omit<WorkQueueOptions, 'name'> & { name?: string }) {
  const queue = new WorkQueue({ name: 'test', ...options });
  const controller = new AbortController();
  const done = queue.run(controller.signal);
  return { queue, controller, done };
}

/** Let promise callbacks (handler completions) run without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('WorkQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    vi.spyOn(Math, 'random').mockReturnValue(0);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('runs a key once however often it is enqueued before a worker takes it', async () => {
    const h = controllableHandler();
    const queue = new WorkQueue({ name: 'dedup', workers: 1, handler: h.handler });
    queue.enqueue('a');
    queue.enqueue('a');
    queue.enqueue('b');
    queue.enqueue('a');
    expect(queue.length).toBe(2);
    const controller = new AbortController();
    const done = queue.run(controller.signal);
    await settle();
    h.finish('a');
    await settle();
    h.finish('b');
    await settle();
    expect(h.keys()).toEqual(['a', 'b']);
    expect(queue.length).toBe(0);
    controller.abort();
    await done;
  });

  it('runs first-time work at once without pacing', async () => {
    const h = controllableHandler();
    const { queue, controller, done } = startQueue({ workers: 100, handler: h.handler });
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    for (const key of keys) queue.enqueue(key);
    await settle();
    expect(h.calls).toHaveLength(50);
    expect(new Set(h.calls.map(c => c.at))).toEqual(new Set([1_000_000]));
    for (const key of keys) h.finish(key);
    controller.abort();
    await done;
  });

  it('re-runs a key enqueued while it is being handled, after the current run, never concurrently', async () => {
    const h = controllableHandler();
    const { queue, controller, done } = startQueue({ workers: 4, handler: h.handler });
    queue.enqueue('a');
    await settle();
    expect(h.keys()).toEqual(['a']);
    queue.enqueue('a');
    queue.enqueue('a');
    expect(queue.length).toBe(1);
    await settle();
    expect(h.keys()).toEqual(['a']);
    h.finish('a');
    await settle();
    expect(h.keys()).toEqual(['a', 'a']);
    h.finish('a');
    await settle();
    expect(h.keys()).toEqual(['a', 'a']);
    expect(h.overlap).toBe(false);
    controller.abort();
    await done;
  });

  it('runs a delayed key when its delay has passed, not before', async () => {
    const h = controllableHandler();
    const { queue, controller, done } = startQueue({ workers: 1, handler: h.handler });
    queue.enqueueAfter('a', 1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(h.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.calls).toEqual([expect.objectContaining({ key: 'a', at: 1_001_000 })]);
    h.finish('a');
    controller.abort();
    await done;
  });

  it('keeps the earlier time when a queued key is enqueued again', async () => {
    const h = controllableHandler();
    const { queue, controller, done } = startQueue({ workers: 1, handler: h.handler });
    queue.enqueueAfter('late-then-early', 1000);
    queue.enqueueAfter('late-then-early', 100);
    queue.enqueueAfter('early-then-late', 200);
    queue.enqueueAfter('early-then-late', 5000);
    await vi.advanceTimersByTimeAsync(100);
    expect(h.keys()).toEqual(['late-then-early']);
    h.finish('late-then-early');
    await vi.advanceTimersByTimeAsync(100);
    expect(h.keys()).toEqual(['late-then-early', 'early-then-late']);
    h.finish('early-then-late');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.calls).toHaveLength(2);
    controller.abort();
    await done;
  });

  it('runs a delayed key at once when it is enqueued without delay', async () => {
    const h = controllableHandler();
    const { queue, controller, done } = startQueue({ workers: 1, handler: h.handler });
    queue.enqueueAfter('a', 60_000);
    queue.enqueue('a');
    await settle();
    expect(h.keys()).toEqual(['a']);
    h.finish('a');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.calls).toHaveLength(1);
    controller.abort();
    await done;
  });

  it('retries a failing key with exponential backoff capped at maxBackoffMs', async () => {
    const h = controllableHandler();
    const onError = vi.fn();
    const { queue, controller, done } = startQueue({
      workers: 1,
      handler: h.handler,
      baseBackoffMs: 10,
      maxBackoffMs: 100,
      onError,
    });
    queue.enqueue('a');
    const failedAt: number[] = [];
    for (let i = 0; i < 7; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      failedAt.push(Date.now());
      h.finish('a', new Error(`boom ${i}`));
    }
    await vi.advanceTimersByTimeAsync(1000);
    // Each run is held until the clock has moved 1000 ms, then fails; the next start is the backoff.
    const backoffs = h.calls.slice(1).map((call, i) => call.at - failedAt[i]!);
    expect(backoffs).toEqual([10, 20, 40, 80, 100, 100, 100]);
    expect(onError.mock.calls.map(c => c[2])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(onError.mock.calls[0]?.[0]).toBe('a');
    expect(errorMessage(onError.mock.calls[0]?.[1])).toBe('boom 0');
    h.finish('a');
    controller.abort();
    await done;
  });

  it('re-runs at once a key that failed after being enqueued again during its run', async () => {
    const h = controllableHandler();
    const { queue, controller, done } = startQueue({ workers: 1, handler: h.handler, baseBackoffMs: 1000 });
    queue.enqueue('a');
    await settle();
    queue.enqueue('a');
    h.finish('a', new Error('stale input'));
    await settle();
    expect(h.calls.map(c => c.at)).toEqual([1_000_000, 1_000_000]);
    // The failure still counts: the next one waits the second backoff step.
    h.finish('a', new Error('again'));
    await vi.advanceTimersByTimeAsync(1999);
    expect(h.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.calls).toHaveLength(3);
    h.finish('a');
    controller.abort();
    await done;
  });

  it('takes jitter off the delay but never exceeds the cap', () => {
    const queue = new WorkQueue({ name: 'j', workers: 1, handler: async () => {}, maxBackoffMs: 1000 });
    vi.mocked(Math.random).mockReturnValue(0.999);
    expect(queue.backoffFor(1)).toBeGreaterThan(3.9);
    expect(queue.backoffFor(1)).toBeLessThan(5);
    expect(queue.backoffFor(40)).toBeLessThanOrEqual(1000);
    expect(queue.backoffFor(40)).toBeGreaterThan(800);
    expect(queue.backoffFor(5000)).toBeLessThanOrEqual(1000);
  });

  it('resets the backoff of a key after it succeeds', async () => {
    const h = controllableHandler();
    const { queue, controller, done } = startQueue({ workers: 1, handler: h.handler, baseBackoffMs: 10 });
    queue.enqueue('a');
    await settle();
    h.finish('a', new Error('1'));
    await vi.advanceTimersByTimeAsync(10);
    h.finish('a', new Error('2'));
    await vi.advanceTimersByTimeAsync(20);
    h.finish('a');
    await settle();
    queue.enqueue('a');
    await settle();
    h.finish('a', new Error('3'));
    await vi.advanceTimersByTimeAsync(9);
    expect(h.calls).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.calls).toHaveLength(5);
    h.finish('a');
    controller.abort();
    await done;
  });

  it('drops a key after maxAttempts failures', async () => {
    const onError = vi.fn();
    const handler = vi.fn(() => Promise.reject(new Error('always')));
    const { queue, controller, done } = startQueue({
      workers: 1,
      handler,
      baseBackoffMs: 1,
      maxAttempts: 3,
      onError,
    });
    queue.enqueue('a');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(handler).toHaveBeenCalledTimes(3);
    expect(onError.mock.calls.map(c => c[2])).toEqual([1, 2, 3]);
    expect(queue.length).toBe(0);
    controller.abort();
    await done;
  });

  it('forget drops a queued key, cancels the re-run of an in-flight one and its retry', async () => {
    const h = controllableHandler();
    const { queue, controller, done } = startQueue({ workers: 2, handler: h.handler });
    queue.enqueueAfter('queued', 100);
    queue.enqueue('busy');
    await settle();
    queue.enqueue('busy');
    queue.forget('queued');
    queue.forget('busy');
    expect(queue.length).toBe(0);
    h.finish('busy', new Error('fails after forget'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.keys()).toEqual(['busy']);
    controller.abort();
    await done;
  });

  it('forget resets the backoff so the next failure waits the base delay', async () => {
    const h = controllableHandler();
    const { queue, controller, done } = startQueue({ workers: 1, handler: h.handler, baseBackoffMs: 10 });
    queue.enqueue('a');
    await settle();
    h.finish('a', new Error('1'));
    await vi.advanceTimersByTimeAsync(10);
    h.finish('a', new Error('2'));
    await settle();
    queue.forget('a');
    queue.enqueue('a');
    await settle();
    h.finish('a', new Error('3'));
    await vi.advanceTimersByTimeAsync(10);
    expect(h.calls).toHaveLength(4);
    h.finish('a');
    controller.abort();
    await done;
  });

  it('never runs more handlers at once than it has workers', async () => {
    const h = controllableHandler();
    const { queue, controller, done } = startQueue({ workers: 2, handler: h.handler });
    for (const key of ['a', 'b', 'c', 'd', 'e']) queue.enqueue(key);
    await settle();
    expect(queue.inFlight).toBe(2);
    expect(queue.length).toBe(3);
    for (const key of ['a', 'b', 'c', 'd', 'e']) {
      h.finish(key);
      await settle();
    }
    expect(h.keys()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(h.maxRunning).toBe(2);
    controller.abort();
    await done;
  });

  it('on abort stops taking keys and resolves only after running handlers return', async () => {
    const h = controllableHandler();
    const { queue, controller, done } = startQueue({ workers: 1, handler: h.handler });
    queue.enqueue('a');
    queue.enqueue('b');
    await settle();
    let finished = false;
    void done.then(() => (finished = true));
    controller.abort();
    await settle();
    expect(h.calls[0]?.signal.aborted).toBe(true);
    expect(finished).toBe(false);
    h.finish('a');
    await settle();
    expect(finished).toBe(true);
    expect(h.keys()).toEqual(['a']);
    expect(queue.length).toBe(1);
  });

  it('rejects a second run and bad options', async () => {
    const { queue, controller, done } = startQueue({ workers: 1, handler: async () => {} });
    await expect(queue.run(new AbortController().signal)).rejects.toThrow(/already running/);
    controller.abort();
    await done;
    expect(() => new WorkQueue({ name: 'x', workers: 0, handler: async () => {} })).toThrow(/workers/);
    expect(() => new WorkQueue({ name: '', workers: 1, handler: async () => {} })).toThrow(/name/);
    expect(() => new WorkQueue({ name: 'x', workers: 1, handler: async () => {}, maxBackoffMs: -1 })).toThrow(
      /maxBackoffMs/,
    );
  });

  it('records depth, adds, retries, duration and latency labelled with the queue name', async () => {
    const samples: { metric: string; value: number; labels: MetricLabels | undefined }[] = [];
    const record = (metric: string) => (value: number | undefined, labels?: MetricLabels) =>
      samples.push({ metric, value: value ?? 1, labels });
    const meter: MetricMeter = {
      counter: name => ({ add: record(name) }),
      gauge: name => ({ set: record(name) }),
      histogram: name => ({ observe: record(name) }),
    };
    const h = controllableHandler();
    const { queue, controller, done } = startQueue({
      name: 'pods',
      workers: 1,
      handler: h.handler,
      metrics: meter,
    });
    queue.enqueueAfter('a', 0);
    queue.enqueue('b');
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(30);
    h.finish('a', new Error('x'));
    await settle();
    h.finish('b');
    await vi.advanceTimersByTimeAsync(10);
    h.finish('a');
    await settle();
    const names = new Set(samples.map(s => s.metric));
    expect(names).toEqual(
      new Set([
        'vkubelet_workqueue_depth',
        'vkubelet_workqueue_adds_total',
        'vkubelet_workqueue_retries_total',
        'vkubelet_workqueue_work_duration_seconds',
        'vkubelet_workqueue_queue_duration_seconds',
      ]),
    );
    expect(samples.every(s => s.labels?.['name'] === 'pods')).toBe(true);
    expect(samples.filter(s => s.metric === 'vkubelet_workqueue_retries_total')).toHaveLength(1);
    // 'b' waited 30 ms behind 'a' with a single worker.
    const latencies = samples.filter(s => s.metric === 'vkubelet_workqueue_queue_duration_seconds');
    expect(latencies.map(s => s.value)).toContain(0.03);
    expect(samples.filter(s => s.metric === 'vkubelet_workqueue_depth').at(-1)?.value).toBe(0);
    controller.abort();
    await done;
  });
});
