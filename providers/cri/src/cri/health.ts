import { errorMessage, TransientError } from '@vkubelet/provider-kit';

/**
 * Whether the CRI runtime answers: every CriClient call reports here (an answer, or UNAVAILABLE),
 * so the provider knows without polling of its own when containerd went away and when it is back.
 * Starts unreachable: nothing has answered yet.
 */
export class RuntimeHealth {
  private down: { since: Date; error: string } | undefined;
  private readonly listeners = new Set<(reachable: boolean) => void>();

  constructor(readonly endpoint: string) {
    this.down = { since: new Date(), error: 'not connected yet' };
  }

  get reachable(): boolean {
    return this.down === undefined;
  }

  /** The runtime answered (an error of its own counts: it is there). */
  reached(): void {
    if (!this.down) return;
    this.down = undefined;
    this.emit(true);
  }

  /** A call could not reach the runtime. */
  unreachable(error: unknown): void {
    const message = errorMessage(error);
    if (this.down) {
      this.down.error = message;
      return;
    }
    this.down = { since: new Date(), error: message };
    this.emit(false);
  }

  /** One line for the node's Ready condition and for errors while the runtime is away. */
  describe(): string {
    if (!this.down) return `the CRI runtime at ${this.endpoint} is reachable`;
    return (
      `the CRI runtime at ${this.endpoint} is not reachable (waiting for it since ` +
      `${this.down.since.toISOString()}): ${this.down.error}`
    );
  }

  /** A TransientError saying the runtime is away: callers retry. */
  unreachableError(): TransientError {
    return new TransientError(this.describe());
  }

  /** Calls `listener` on every change between reachable and not; returns the unsubscribe. */
  onChange(listener: (reachable: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the runtime is reachable (at once if it is), rejects when `signal` aborts first. */
  whenReachable(signal: AbortSignal): Promise<void> {
    return this.when(true, signal);
  }

  /** Resolves once a call found the runtime unreachable, rejects when `signal` aborts first. */
  whenUnreachable(signal: AbortSignal): Promise<void> {
    return this.when(false, signal);
  }

  private when(reachable: boolean, signal: AbortSignal): Promise<void> {
    if (this.reachable === reachable) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        unsubscribe();
        signal.removeEventListener('abort', abort);
      };
      const abort = (): void => {
        done();
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      const unsubscribe = this.onChange(now => {
        if (now !== reachable) return;
        done();
        resolve();
      });
      if (signal.aborted) abort();
      else signal.addEventListener('abort', abort, { once: true });
    });
  }

  private emit(reachable: boolean): void {
    for (const listener of [...this.listeners]) listener(reachable);
  }
}
