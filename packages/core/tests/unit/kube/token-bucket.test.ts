import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { TokenBucket } from '../../../src/kube/token-bucket.js';

describe('TokenBucket', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('lets a burst through at once, then one request per 1/qps seconds in FIFO order', async () => {
    const bucket = new TokenBucket(10, 3);
    const granted: string[] = [];
    const take = (id: string) => void bucket.take().then(() => granted.push(id));
    for (const id of ['a', 'b', 'c', 'd', 'e']) take(id);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual(['a', 'b', 'c']);
    expect(bucket.waiting).toBe(2);
    await vi.advanceTimersByTimeAsync(99);
    expect(granted).toEqual(['a', 'b', 'c']);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted).toEqual(['a', 'b', 'c', 'd']);
    await vi.advanceTimersByTimeAsync(100);
    expect(granted).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('refills up to the burst while idle, not beyond', async () => {
    const bucket = new TokenBucket(10, 2);
    await bucket.take();
    await bucket.take();
    await vi.advanceTimersByTimeAsync(10_000);
    let granted = 0;
    for (let i = 0; i < 3; i++) void bucket.take().then(() => granted++);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toBe(2);
  });

  it('drops a waiter whose signal aborts, without spending a token on it', async () => {
    const bucket = new TokenBucket(10, 1);
    await bucket.take();
    const controller = new AbortController();
    const aborted = bucket.take(controller.signal);
    let next = false;
    void bucket.take().then(() => (next = true));
    controller.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    await vi.advanceTimersByTimeAsync(100);
    expect(next).toBe(true);
    await expect(bucket.take(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('rejects nonsense rates', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(/qps/);
    expect(() => new TokenBucket(1, 0)).toThrow(/burst/);
  });
});
