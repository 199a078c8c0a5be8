/**
 * Client-side rate limit shared by every request of a process, like client-go's flowcontrol: `qps`
 * tokens a second refill a bucket of `burst`; each request takes one, waiting in FIFO order when the
 * bucket is empty. Waiters give up (rejecting with the abort reason) when their signal aborts.
 */
export class TokenBucket {
  private readonly ratePerMs: number;
  private readonly burst: number;
  private tokens: number;
  private updatedAt: number;
  private readonly waiters: {
    resolve: () => void;
    reject: (reason: unknown) => void;
    signal?: AbortSignal;
  }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(qps: number, burst: number) {
    if (!(qps > 0)) throw new TypeError(`qps must be > 0, got ${qps}`);
    if (!Number.isInteger(burst) || burst < 1)
      throw new TypeError(`burst must be an integer >= 1, got ${burst}`);
    this.ratePerMs = qps / 1000;
    this.burst = burst;
    this.tokens = burst;
    this.updatedAt = performance.now();
  }

  /** Resolve once a token is available (at once while the bucket is not empty). */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = { resolve, reject, signal };
      this.waiters.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(signal.reason as Error);
        },
        { once: true },
      );
      this.schedule();
    });
  }

  /** Requests waiting for a token. */
  get waiting(): number {
    return this.waiters.length;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedAt) * this.ratePerMs);
    this.updatedAt = now;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.waiters.length === 0) return;
    const wait = Math.max(0, (1 - this.tokens) / this.ratePerMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.tokens >= 1 && this.waiters.length > 0) {
        this.tokens -= 1;
        this.waiters.shift()!.resolve();
      }
      this.schedule();
    }, Math.ceil(wait));
  }
}
