/** A write refused because this agent does not (or no longer) hold the leader lease. */
export class FencedWriteError extends Error {
  override readonly name = 'FencedWriteError';
}

type FenceState = 'closed' | 'open' | 'lost';

/**
 * Whether this process may write to the API server. A leader-elected agent starts closed (a
 * standby), opens when it acquires the lease and closes for good when it loses it; a single agent
 * is open from the start. Closing is synchronous and aborts `signal`, so every write in flight is
 * cancelled in the same turn of the event loop and no new one starts: there is never a moment where
 * the old holder and the new one both write.
 */
export class WriteFence {
  private state: FenceState;
  private readonly lost = new AbortController();

  private constructor(state: FenceState) {
    this.state = state;
  }

  /** A fence that is open until closed: an agent without leader election. */
  static open(): WriteFence {
    return new WriteFence('open');
  }

  /** A fence that refuses writes until `open()`: a standby waiting for the lease. */
  static closed(): WriteFence {
    return new WriteFence('closed');
  }

  /** True while writes may go out. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Aborted once the fence has closed for good; a write passes it to its request. */
  get signal(): AbortSignal {
    return this.lost.signal;
  }

  /** Lets writes through (the lease is held). Once lost, a fence never opens again. */
  open(): void {
    if (this.state === 'closed') this.state = 'open';
  }

  /** Refuses every write from now on and aborts those in flight. */
  close(reason: string): void {
    if (this.state === 'lost') return;
    this.state = 'lost';
    this.lost.abort(new FencedWriteError(reason));
  }

  /** Throws FencedWriteError unless writes may go out now. */
  check(what: string): void {
    if (this.state === 'open') return;
    if (this.state === 'lost') throw this.lost.signal.reason as FencedWriteError;
    throw new FencedWriteError(
      `${what}: refused, this agent is a standby (it does not hold the leader lease)`,
    );
  }
}
